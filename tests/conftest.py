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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    """The test database starts without the SPEC's test programmes (and the categories they name)
    that a data migration seeds: tests of other subjects sell listings without certificates.
    Compliance tests ask for `spec_programmes` (the seeded table) or make their own."""
    from catalogue.models import Category
    from compliance.models import TestProgramme

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        TestProgramme.objects.all().delete()
        Category.objects.filter(products__isnull=True).delete()


@pytest.fixture
def spec_programmes(db: None) -> None:
    """The SPEC's required-standards table, as its data migration seeds it."""
    import importlib

    from django.apps import apps

    seed = importlib.import_module("compliance.migrations.0006_seed_required_standards").seed
    seed(apps, None)


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
