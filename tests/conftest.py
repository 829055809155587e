from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import COMPLIANCE, FINANCE, OPERATORS
from tests import services
from tests.factories.accounts import staff_user
from tests.factories.suppliers import MembershipFactory


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Throttle counters live in the cache; each test starts with a clean budget."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def operator(db: None) -> User:
    return staff_user(OPERATORS, username="op")


@pytest.fixture
def compliance_officer(db: None) -> User:
    return staff_user(COMPLIANCE, username="co")


@pytest.fixture
def finance_user(db: None) -> User:
    return staff_user(FINANCE, username="fin")


@pytest.fixture
def supplier_user(db: None) -> User:
    return MembershipFactory(user__username="sup", role="owner").user


@pytest.fixture
def other_supplier_user(db: None) -> User:
    return MembershipFactory(user__username="rival", role="owner").user


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [
        "database: "
        + ("SQLite fallback" if "postgres" in services.unavailable else os.environ["DATABASE_URL"]),
        "broker: "
        + (
            "filesystem fallback"
            if "redis" in services.unavailable
            else os.environ["TEST_REDIS_URL"]
        ),
    ]
    lines += [f"skipping {what} tests: {why}" for what, why in services.unavailable.items()]
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker in ("postgres", "redis", "browser"):
            if marker in services.unavailable and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=services.unavailable[marker]))
