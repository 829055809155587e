"""GET /api/v1/return-rates/: a supplier reads its own listings' daily figures only,
integrators with `read` and staff read all, bad filters are 400 naming the field, and the
list's queries do not grow with its rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalogue.models import ListingReturnRate
from tests.api_support import assert_error, bearer, walk
from tests.factories.accounts import api_client, supplier_token
from tests.factories.suppliers import MembershipFactory

from .rates import rated_listing

pytestmark = pytest.mark.django_db

URL = "/api/v1/return-rates/"


def rows_for(listing, days: int = 2, sold: int = 30, returned: int = 3) -> None:
    today = timezone.localdate()
    for n in range(days):
        ListingReturnRate.objects.create(
            listing=listing,
            day=today - timedelta(days=n),
            units_sold=sold,
            units_returned=returned,
            rate=(Decimal(returned) / sold).quantize(Decimal("0.0001")) if sold else None,
        )


def _as_supplier(listing):
    return bearer(supplier_token(MembershipFactory(supplier=listing.supplier).user))


def test_a_supplier_reads_its_own_listings_only():
    mine, theirs = rated_listing(), rated_listing()
    rows_for(mine)
    rows_for(theirs, returned=6)
    rows = walk(_as_supplier(mine), URL)
    assert {row["listing"] for row in rows} == {mine.pk}
    assert [row["day"] for row in rows] == sorted((row["day"] for row in rows), reverse=True)
    assert rows[0] == {
        "listing": mine.pk,
        "day": timezone.localdate().isoformat(),
        "units_sold": 30,
        "units_returned": 3,
        "rate": "0.1000",
        "judged": True,
        "level": "warning",
    }
    assert walk(_as_supplier(mine), f"{URL}?listing={theirs.pk}") == []


def test_integrators_with_read_and_staff_read_all(api, operator):
    one, two = rated_listing(), rated_listing()
    rows_for(one, days=1, sold=10, returned=5)
    rows_for(two, days=1, sold=40, returned=8)
    _client, key = api_client(["read"])
    rows = walk(bearer(key), URL)
    assert {(row["listing"], row["level"]) for row in rows} == {(one.pk, None), (two.pk, "pause")}
    _client, key = api_client(["orders:write"], name="Writer")
    assert bearer(key).get(URL).status_code == 403
    api.force_authenticate(operator)
    assert len(walk(api, URL)) == 2


def test_filters(api, operator):
    listing = rated_listing()
    rows_for(listing, days=3)
    api.force_authenticate(operator)
    today = timezone.localdate()
    assert len(walk(api, f"{URL}?day={today.isoformat()}")) == 1
    since = (today - timedelta(days=1)).isoformat()
    assert len(walk(api, f"{URL}?day_after={since}&listing={listing.pk}")) == 2
    body = assert_error(api.get(f"{URL}?day=yesterday"), 400, "invalid")
    assert "day" in body["fields"]
    body = assert_error(api.get(f"{URL}?listing=abc"), 400, "invalid")
    assert "listing" in body["fields"]


def test_the_list_costs_the_same_queries_for_2_and_10_rows():
    listing = rated_listing()
    caller = _as_supplier(listing)

    def count() -> int:
        caller.get(URL)
        with CaptureQueriesContext(connection) as captured:
            assert caller.get(URL).status_code == 200
        return len(captured.captured_queries)

    rows_for(listing, days=2)
    few = count()
    ListingReturnRate.objects.all().delete()
    rows_for(listing, days=10)
    assert count() == few
