"""The cross-supplier isolation harness every isolation test shares: another supplier's people
(its owner, or a clerk) read every page without seeing this supplier's markers, and every address
that takes an id of this supplier's answers 404 and changes nothing.

Each test module keeps what is its own: the markers (SECRETS), the records that carry them, the
pages and the addresses to try, and a `state()` of the tables those addresses could change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.test import Client

from accounts.models import User
from suppliers.models import Supplier
from tests.factories.suppliers import MembershipFactory

RIVAL_ROLES = ["owner", "staff"]


def rival_member(role: str, supplier: Supplier | None = None) -> User:
    """Another supplier's owner or clerk (`role`, a fixture's param from RIVAL_ROLES): the
    supplier gets its owner either way, so a clerk acts for a supplier as it really is."""
    owner = MembershipFactory(role="owner", user__username="rivalowner", **_of(supplier))
    if role == "owner":
        return owner.user
    return MembershipFactory(supplier=owner.supplier, user__username="rivalclerk").user


def _of(supplier: Supplier | None) -> dict[str, Any]:
    return {} if supplier is None else {"supplier": supplier}


def page_text(response: Any) -> str:
    """A page's text, a streamed download (CSV, with its BOM) included."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return str(response.content.decode())


def leaked(response: Any, secrets: Iterable[str]) -> list[str]:
    """The markers the response shows."""
    text = page_text(response)
    return [marker for marker in secrets if marker in text]


Request = tuple[str, str, dict[str, Any]]


def assert_ids_are_404(
    client: Client,
    requests: Sequence[Request],
    *,
    state: Callable[[], object],
    secrets: Iterable[str] = (),
) -> None:
    """Every (method, url, data) answers 404, shows none of the markers, and `state()` is the
    same after them all."""
    secrets = list(secrets)
    before = state()
    for method, url, data in requests:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
        assert leaked(response, secrets) == [], url
    assert state() == before
