"""restock.services.signals.rollup_platform_orders: the platform's own consumer orders (not
cancelled) counted per listing, market and China day into DemandSignal.platform_units, set-based,
on PostgreSQL and SQLite alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import Listing
from orders.models import ConsumerOrder
from restock.models import DemandSignal
from restock.services.signals import rollup_platform_orders
from tests.factories.catalogue import ListingFactory
from tests.factories.restock import DemandSignalFactory
from tests.factories.shipping import consumer_order

pytestmark = pytest.mark.django_db

MAR_10 = date(2026, 3, 10)
MAR_11 = date(2026, 3, 11)
MAR_12 = date(2026, 3, 12)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def listing() -> Listing:
    return ListingFactory(status=Listing.Status.LIVE)


def platform_units() -> dict[tuple[int, str, date], int]:
    return {
        (s.listing_id, s.market, s.day): s.platform_units
        for s in DemandSignal.objects.order_by("listing_id", "day", "market")
    }


def test_orders_count_on_their_china_day_in_their_market(listing):
    # 15:59 UTC is 23:59 in China; 16:00 UTC is the next China day.
    consumer_order(listing, quantity=2, ordered_at=utc(10, 15, 59))
    consumer_order(listing, quantity=3, ordered_at=utc(10, 16, 0))
    consumer_order(listing, quantity=1, ordered_at=utc(11, 2))
    consumer_order(listing, quantity=4, market="JP", ordered_at=utc(11, 3))
    consumer_order(listing, quantity=5, ordered_at=utc(11, 4), status="cancelled")
    consumer_order(listing, quantity=6, ordered_at=utc(10, 1), status="reserved")
    rollup_platform_orders(since=MAR_10, until=MAR_11)
    assert platform_units() == {
        (listing.pk, "US", MAR_10): 8,
        (listing.pk, "US", MAR_11): 4,
        (listing.pk, "JP", MAR_11): 4,
    }
    made = DemandSignal.objects.get(market="JP")
    assert (made.views, made.add_to_carts, made.units_ordered) == (0, 0, 0)


def test_a_signal_keeps_its_storefront_counts(listing):
    DemandSignalFactory(listing=listing, day=MAR_10, views=90, add_to_carts=9, units_ordered=3)
    consumer_order(listing, quantity=2, ordered_at=utc(10, 4))
    rollup_platform_orders(since=MAR_10, until=MAR_10)
    row = DemandSignal.objects.get()
    assert (row.views, row.add_to_carts, row.units_ordered, row.platform_units) == (90, 9, 3, 2)


def test_only_the_range_is_counted_and_a_rerun_changes_nothing(listing):
    consumer_order(listing, quantity=2, ordered_at=utc(9, 4))  # 9 March, before the range
    consumer_order(listing, quantity=1, ordered_at=utc(11, 4))
    consumer_order(listing, quantity=7, ordered_at=utc(12, 17))  # 13 March in China
    DemandSignalFactory(listing=listing, day=date(2026, 3, 9), platform_units=5)
    assert rollup_platform_orders(since=MAR_10, until=MAR_12) == 1
    first = platform_units()
    assert first == {(listing.pk, "US", date(2026, 3, 9)): 5, (listing.pk, "US", MAR_11): 1}
    assert rollup_platform_orders(since=MAR_10, until=MAR_12) == 0
    assert platform_units() == first


def test_a_day_whose_orders_are_cancelled_goes_back_to_zero(listing):
    order = consumer_order(listing, quantity=3, ordered_at=utc(11, 4))
    consumer_order(listing, quantity=2, market="UK", ordered_at=utc(11, 5))
    DemandSignalFactory(listing=listing, day=MAR_12, market="US", platform_units=4)
    rollup_platform_orders(since=MAR_10, until=MAR_12)
    assert platform_units() == {
        (listing.pk, "UK", MAR_11): 2,
        (listing.pk, "US", MAR_11): 3,
        (listing.pk, "US", MAR_12): 0,  # no orders that day in the range
    }
    ConsumerOrder.objects.filter(pk=order.pk).update(status="cancelled")
    rollup_platform_orders(since=MAR_10, until=MAR_12)
    assert platform_units()[(listing.pk, "US", MAR_11)] == 0
    assert platform_units()[(listing.pk, "UK", MAR_11)] == 2


def test_an_empty_range_does_nothing(listing):
    consumer_order(listing, quantity=3, ordered_at=utc(11, 4))
    assert rollup_platform_orders(since=MAR_12, until=MAR_10) == 0
    assert not DemandSignal.objects.exists()


def test_the_rollup_is_a_fixed_number_of_statements_whatever_the_orders():
    listings = ListingFactory.create_batch(4, status=Listing.Status.LIVE)
    for n, target in enumerate(listings):
        for day in (10, 11, 12):
            consumer_order(target, quantity=n + 1, ordered_at=utc(day, 8))
    with CaptureQueriesContext(connection) as queries:
        rollup_platform_orders(since=MAR_10, until=MAR_12)
    writes = [q for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len(writes) == 2
    assert DemandSignal.objects.count() == 12
