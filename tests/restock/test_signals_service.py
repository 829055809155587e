"""restock.services.signals.signals_ingest: a batch checked whole in plain Python, then written
in one INSERT ... ON CONFLICT; a repeat replaces the storefront's counts, never the platform's
units; unknown listings are reported by place and the rest applied; a batch with any row out of
shape is refused whole, each field at fault named, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import Listing
from marketplace.errors import DomainError, ErrorKind
from marketplace.formatting import suppliers_today
from restock.models import DemandSignal
from restock.services.signals import signals_check, signals_ingest
from tests.factories.catalogue import ListingFactory

from .signals import row, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings() -> list[Listing]:
    return ListingFactory.create_batch(3)


def _refused(rows, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(DomainError) as refused:
        signals_ingest(rows, **kwargs)
    assert refused.value.code == "invalid"
    assert refused.value.kind == ErrorKind.MALFORMED
    assert not DemandSignal.objects.exists()
    return refused.value.fields


def test_a_batch_writes_one_row_per_listing_market_and_day(listings):
    a, b, _c = listings
    rows = [row(a.pk, "US"), row(a.pk, "EU"), row(a.pk, "US", days_ago=2), row(b.pk, "JP", 0)]
    outcome = signals_ingest(rows)
    assert (outcome.applied, outcome.unknown) == (4, [])
    today = suppliers_today()
    assert stored(DemandSignal) == [
        (a.pk, "US", today - timedelta(days=2), 100, 10, 3, 0),
        (a.pk, "EU", today - timedelta(days=1), 100, 10, 3, 0),
        (a.pk, "US", today - timedelta(days=1), 100, 10, 3, 0),
        (b.pk, "JP", today, 100, 10, 3, 0),
    ]


def test_posting_the_same_batch_twice_leaves_the_same_rows(listings):
    rows = [row(listing.pk, market) for listing in listings for market in ("US", "UK")]
    signals_ingest(rows)
    first = stored(DemandSignal)
    outcome = signals_ingest(rows)
    assert outcome.applied == 6
    assert stored(DemandSignal) == first
    assert DemandSignal.objects.count() == 6


def test_a_repeat_replaces_the_counts_and_the_time_never_the_platform_units(listings):
    a = listings[0]
    signals_ingest([row(a.pk, views=50, add_to_carts=5, units_ordered=2)])
    DemandSignal.objects.update(platform_units=7)
    before = DemandSignal.objects.get()
    signals_ingest([row(a.pk, views=80, add_to_carts=0, units_ordered=1)])
    after = DemandSignal.objects.get()
    assert after.pk == before.pk
    assert (after.views, after.add_to_carts, after.units_ordered) == (80, 0, 1)
    assert after.platform_units == 7
    assert after.updated_at > before.updated_at


def test_rows_naming_no_listing_are_reported_by_place_and_the_rest_applied(listings):
    a = listings[0]
    missing = Listing.objects.order_by("-pk").first().pk + 1000
    outcome = signals_ingest([row(missing), row(a.pk), row(missing + 1, "EU")])
    assert outcome.applied == 1
    assert outcome.unknown == [(0, missing), (2, missing + 1)]
    assert list(DemandSignal.objects.values_list("listing_id", flat=True)) == [a.pk]


def test_a_batch_of_only_unknown_listings_writes_nothing():
    outcome = signals_ingest([row(987654321)])
    assert (outcome.applied, outcome.unknown) == (0, [(0, 987654321)])
    assert not DemandSignal.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"views": -1}, "views"),
        ({"add_to_carts": -5}, "add_to_carts"),
        ({"units_ordered": 2**31}, "units_ordered"),
        ({"views": 1.5}, "views"),
        ({"views": "10"}, "views"),
        ({"views": True}, "views"),
        ({"views": None}, "views"),
        ({"units_ordered": [1]}, "units_ordered"),
        ({"market": "XX"}, "market"),
        ({"market": "us"}, "market"),
        ({"market": 1}, "market"),
        ({"market": ["US"]}, "market"),
        ({"listing": 0}, "listing"),
        ({"listing": "12"}, "listing"),
        ({"listing": 2**63}, "listing"),
        ({"day": "2026-02-30"}, "day"),
        ({"day": "20260101"}, "day"),
        ({"day": "2026-01-01T00:00:00"}, "day"),
        ({"day": 20260101}, "day"),
        ({"day": None}, "day"),
    ],
)
def test_a_row_out_of_shape_refuses_the_whole_batch_naming_it(listings, change, field):
    good = row(listings[0].pk)
    bad = {**row(listings[1].pk), **change}
    fields = _refused([good, good | {"market": "EU"}, bad])
    assert list(fields) == [f"signals[2].{field}"]


def test_a_missing_field_is_named(listings):
    bad = row(listings[0].pk)
    del bad["add_to_carts"]
    fields = _refused([bad])
    assert fields == {"signals[0].add_to_carts": ["This field is required."]}


def test_a_day_after_chinas_today_is_refused_and_today_is_allowed(listings):
    a = listings[0]
    fields = _refused([row(a.pk, days_ago=0), row(a.pk, "EU", days_ago=-1)])
    assert list(fields) == ["signals[1].day"]
    assert "China's today" in fields["signals[1].day"][0]
    assert signals_ingest([row(a.pk, days_ago=0)]).applied == 1


def test_the_same_listing_market_and_day_twice_in_a_batch_is_refused(listings):
    a = listings[0]
    fields = _refused([row(a.pk), row(a.pk, "EU"), row(a.pk, views=9)])
    assert list(fields) == ["signals[2]"]
    assert "signals[0]" in fields["signals[2]"][0]


def test_every_row_at_fault_is_named_at_once(listings):
    a = listings[0]
    fields = _refused(
        [row(a.pk, views=-1), row(a.pk, "EU"), {**row(a.pk, "UK"), "market": "ZZ", "day": "x"}, 7]
    )
    assert set(fields) == {"signals[0].views", "signals[2].market", "signals[2].day", "signals[3]"}


@pytest.mark.parametrize("rows", [[], None, {"listing": 1}, "rows"])
def test_a_batch_that_is_not_a_list_of_rows_is_refused(rows):
    assert list(_refused(rows)) == ["signals"]


def test_more_than_the_maximum_rows_is_refused_before_any_row_is_read(settings, listings):
    settings.DEMAND_SIGNALS_MAX = 3
    a = listings[0]
    rows = [row(a.pk, days_ago=n) for n in range(4)]
    fields = _refused(rows)
    assert list(fields) == ["signals"]
    assert "3" in fields["signals"][0]
    assert signals_ingest(rows[:3]).applied == 3


def test_ten_thousand_and_one_rows_are_refused():
    rows = [row(n + 1, days_ago=1) for n in range(10_001)]
    assert list(_refused(rows)) == ["signals"]


def test_the_check_takes_dates_from_python_callers(listings):
    a = listings[0]
    rows = [row(a.pk) | {"day": suppliers_today()}]
    assert signals_check(rows)[0][2] == suppliers_today()


def test_ten_thousand_rows_take_a_fixed_handful_of_queries():
    listings = ListingFactory.create_batch(50)
    rows = [
        row(listing.pk, market, days_ago=days, views=days)
        for listing in listings
        for market in ("US", "EU", "UK", "CA", "AU")
        for days in range(40)
    ]
    assert len(rows) == 10_000
    with CaptureQueriesContext(connection) as queries:
        outcome = signals_ingest(rows)
    assert outcome.applied == 10_000
    # The listings looked up, then the rows written (SQLite: in the batches its parameter
    # limit allows).
    if connection.vendor == "postgresql":
        assert len(queries) == 2, [q["sql"][:80] for q in queries]
    assert DemandSignal.objects.count() == 10_000
    with CaptureQueriesContext(connection) as again:
        signals_ingest(rows)
    assert len(again) == len(queries)
    assert DemandSignal.objects.count() == 10_000
