"""Operators read the breaches and the daily rows, and decide appealed fines with a note."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogue.models import ListingReturnRate
from returns.models import ReturnRateBreach
from returns.services.return_rate import breach_appeal, return_rates_compute
from suppliers.models import LedgerEntry
from tests.factories.logistics import member_of

from .rates import rated_listing, sold_and_returned

pytestmark = pytest.mark.django_db

BREACHES = "/admin/returns/returnratebreach/"
ROWS = "/admin/catalogue/listingreturnrate/"


@pytest.fixture
def appealed():
    listing = rated_listing()
    sold_and_returned(listing, 30, 6)
    return_rates_compute()
    pause = ReturnRateBreach.objects.get(level="pause")
    breach_appeal(pause, text="Transit damage.", actor=member_of(listing))
    return pause


@pytest.mark.parametrize(
    "query", ["", "?level=pause", "?open=yes", "?open=no", "?appeal=pending", "?q=x"]
)
def test_the_breach_list_and_its_filters(client, operator, appealed, query):
    client.force_login(operator)
    response = client.get(BREACHES + query)
    assert response.status_code == 200
    expected = {"": 2, "?level=pause": 1, "?open=yes": 2, "?open=no": 0, "?appeal=pending": 1}
    if query in expected:
        assert response.context["cl"].result_count == expected[query]


def test_a_breach_page_and_the_rows_are_read_only(client, operator, appealed):
    client.force_login(operator)
    page = client.get(f"{BREACHES}{appealed.pk}/change/")
    assert page.status_code == 200
    assert "Transit damage." in page.content.decode()
    assert "120.00" in page.content.decode()
    rows = client.get(ROWS)
    assert rows.status_code == 200
    assert "20.0%" in rows.content.decode()
    row = ListingReturnRate.objects.get()
    assert client.get(f"{ROWS}{row.pk}/change/").status_code == 200
    assert client.post(f"{ROWS}{row.pk}/delete/", {"post": "yes"}).status_code == 403


def test_upholding_needs_a_note_and_reverses_the_fine(client, operator, appealed):
    client.force_login(operator)
    action = {"action": "uphold", "_selected_action": [appealed.pk]}
    client.post(BREACHES, {**action, "note": ""})
    appealed.refresh_from_db()
    assert appealed.appeal == ReturnRateBreach.Appeal.PENDING
    client.post(BREACHES, {**action, "note": "Transit damage confirmed."})
    appealed.refresh_from_db()
    assert appealed.appeal == ReturnRateBreach.Appeal.UPHELD
    assert appealed.reversal.amount == Decimal("120.00")
    assert appealed.decided_by == operator


def test_dismissing_keeps_the_fine(client, operator, appealed):
    client.force_login(operator)
    client.post(
        BREACHES,
        {"action": "dismiss", "_selected_action": [appealed.pk], "note": "Defects confirmed."},
    )
    appealed.refresh_from_db()
    assert appealed.appeal == ReturnRateBreach.Appeal.DISMISSED
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.FINE_REVERSAL).exists()


def test_finance_decides_compliance_only_reads(client, finance_user, compliance_officer, appealed):
    client.force_login(compliance_officer)
    assert client.get(BREACHES).status_code == 200
    client.post(BREACHES, {"action": "uphold", "_selected_action": [appealed.pk], "note": "x"})
    appealed.refresh_from_db()
    assert appealed.appeal == ReturnRateBreach.Appeal.PENDING
    client.force_login(finance_user)
    client.post(BREACHES, {"action": "dismiss", "_selected_action": [appealed.pk], "note": "x"})
    appealed.refresh_from_db()
    assert appealed.appeal == ReturnRateBreach.Appeal.DISMISSED
