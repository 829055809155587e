"""The JIT orders' per-hour tally (orders.tally) that the operator dashboard sums: it equals a
recount from the orders after every kind of change (the services, both paths of the sweep, a
rolled-back batch, parallel transactions), and the dashboard's figures read from it equal the
same figures counted from the orders."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from backoffice.dashboard import _window, due_counts, jit_figures, live_due_counts
from marketplace.errors import DomainError
from orders.models import JitOrder, JitOrderTally
from orders.services.orders import (
    jit_order_create,
    order_cancel,
    order_declare_stockout,
    order_first_scan,
    order_inspect,
    order_receive,
    order_ship,
    orders_ship_many,
)
from orders.services.sweep import sweep_jit_deadlines
from orders.tally import tally_rebuild, tally_recount, tally_stored
from tests.concurrency import in_threads
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import MembershipFactory

H = timedelta(hours=1)


def assert_tally_is_a_recount() -> None:
    stored = tally_stored()
    assert stored, "the tally is empty"
    assert stored == tally_recount()


@pytest.fixture(params=["native", "orm"])
def sweep_path(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr("orders.services.sweep.set_based", lambda: False)
    return request.param


@pytest.mark.django_db
def test_the_tally_equals_a_recount_after_every_kind_of_change(sweep_path, operator):
    listing, other = jit_listing(), jit_listing()
    member = MembershipFactory(supplier=listing.supplier, role="owner").user
    now = timezone.now()

    def order(hours_ago: float, external_id: str, on=listing) -> JitOrder:
        return jit_order_create(
            listing_id=on.pk,
            quantity=1,
            external_id=external_id,
            actor=operator,
            ordered_at=now - hours_ago * H,
        )

    fresh, young, mid, near, late_one, later, old, older, oldest = (
        order(hours, f"SO-{hours}") for hours in (0.5, 3, 10, 23.5, 26, 30, 50, 80, 100)
    )
    order(5, "SO-OTHER", on=other)
    # Shipped in time by the record, then scanned by the carrier after the deadline.
    jit_order(
        listing,
        ordered_at=now - 30 * H,
        status="shipped",
        waybill="SF000000000099",
        shipment_recorded_at=now - 10 * H,
    )
    assert_tally_is_a_recount()

    order_ship(fresh, waybill="SF000000000001", actor=member)  # in time
    order_ship(late_one, waybill="SF000000000005", actor=member)  # 26 h: late
    order_ship(later, waybill="SF000000000006", actor=member)  # 30 h: late
    orders_ship_many([(mid, "SF000000000003"), (young, "SF000000000002")], actor=member)
    # An earlier scan makes the 26 h shipment in time; a later one changes nothing.
    order_first_scan(
        waybill="SF000000000005", scanned_at=late_one.ordered_at + 23 * H, actor=operator
    )
    order_first_scan(waybill="SF000000000006", scanned_at=now, actor=operator)
    order_first_scan(waybill="SF000000000099", scanned_at=now, actor=operator)
    order_cancel(old, actor=operator, reason="consumer cancelled")
    order_declare_stockout(older, reason="mould broke", actor=member)
    order_receive(young, quantity=1, actor=operator)
    order_inspect(young, accept=False, defect_notes="paint", actor=operator)
    order_receive(mid, quantity=1, actor=operator)
    order_inspect(mid, accept=True, actor=operator)
    assert_tally_is_a_recount()

    # The sweep: penalties, and the 100 h unshipped order failed as a stockout.
    result = sweep_jit_deadlines()
    assert result.penalties > 0
    assert result.stockouts == 1
    oldest.refresh_from_db()
    assert oldest.status == JitOrder.Status.FAILED_STOCKOUT
    assert_tally_is_a_recount()
    assert JitOrderTally.objects.filter(supplier=other.supplier).get().orders == 1
    # The sweep re-run, and the services that change nothing the tally counts.
    sweep_jit_deadlines()
    order_declare_stockout(near, reason="no stock", actor=member)
    assert_tally_is_a_recount()


@pytest.mark.django_db
def test_a_rolled_back_change_takes_its_share_back(operator):
    listing = jit_listing()
    member = MembershipFactory(supplier=listing.supplier, role="owner").user
    now = timezone.now()
    first = jit_order(listing, ordered_at=now - 2 * H)
    second = jit_order(listing, ordered_at=now - 2 * H, external_id="SO-2")
    order_cancel(second, actor=operator)
    before = tally_stored()
    with pytest.raises(DomainError):
        # The first ships, the second cannot: neither does, and the tally is as it was.
        orders_ship_many([(first, "SF000000000001"), (second, "SF000000000002")], actor=member)
    first.refresh_from_db()
    assert first.status == JitOrder.Status.AWAITING_SHIPMENT
    assert tally_stored() == before
    assert_tally_is_a_recount()


@pytest.mark.django_db
def test_a_rebuild_gives_the_same_tally(operator):
    listing = jit_listing()
    now = timezone.now()
    for hours in (1, 25, 49, 200):
        jit_order(listing, ordered_at=now - hours * H, external_id=f"SO-{hours}")
    jit_order(listing, ordered_at=now - 30 * H, status="cancelled", external_id="SO-C")
    kept = tally_stored()
    JitOrderTally.objects.all().delete()
    tally_rebuild()
    assert tally_stored() == kept == tally_recount()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_orders_and_shipments_of_one_supplier_and_hour_all_count(operator):
    """Eight transactions at once add to and take from the same tally row: none is lost."""
    listing = jit_listing()
    member = MembershipFactory(supplier=listing.supplier, role="owner").user
    ordered_at = timezone.now().replace(minute=5, second=0, microsecond=0) - 30 * H
    waiting = [jit_order(listing, ordered_at=ordered_at, external_id=f"SO-W{n}") for n in range(8)]

    def work(index: int) -> None:
        for n in range(3):
            jit_order_create(
                listing_id=listing.pk,
                quantity=1,
                external_id=f"SO-{index}-{n}",
                actor=operator,
                ordered_at=ordered_at,
            )
        order_ship(waiting[index], waybill=f"SF{index + 1:012d}", actor=member)

    assert in_threads(8, work) == []
    row = JitOrderTally.objects.get()
    assert (row.orders, row.late) == (32, 32)  # shipped 30 h after the order: late too
    order_first_scan(waybill="SF000000000001", scanned_at=ordered_at + H, actor=operator)
    row.refresh_from_db()
    assert (row.orders, row.late) == (32, 31)
    assert_tally_is_a_recount()


# --- The dashboard's figures ---------------------------------------------------------------


def _orders_across_the_window(listing, other) -> None:
    now = timezone.now()
    member = MembershipFactory(supplier=listing.supplier, role="owner").user
    # Deadlines in the hour under way (due, and not yet due), earlier today, days ago, and
    # at the window's edges.
    for n, hours_ago in enumerate((24.01, 24.5, 23.99, 23.5, 30, 47, 72, 24 * 29, 24 * 40)):
        jit_order(listing, ordered_at=now - hours_ago * H, external_id=f"SO-{n}")
        jit_order(other, ordered_at=now - hours_ago * H - 10 * H, external_id=f"SO-O{n}")
    shipped = jit_order(listing, ordered_at=now - 26 * H, external_id="SO-S")
    order_ship(shipped, waybill="SF000000000001", actor=member)
    jit_order(
        listing,
        ordered_at=now - 50 * H,
        status="shipped",
        waybill="SF000000000002",
        shipment_recorded_at=now - 40 * H,
    )
    jit_order(listing, ordered_at=now - 60 * H, status="cancelled", external_id="SO-C")


@pytest.mark.django_db
def test_the_dashboard_figures_from_the_tally_equal_a_count_of_the_orders():
    listing, other = jit_listing(), jit_listing()
    _orders_across_the_window(listing, other)
    now, start, days = _window()
    from_tally, counted = due_counts(now, start, days), live_due_counts(start, now)
    assert from_tally.by_day == counted.by_day
    assert from_tally.by_supplier == counted.by_supplier
    assert from_tally.by_supplier[listing.supplier_id]["late"] >= 5
    figures = jit_figures()
    assert figures["late_suppliers"][0]["supplier_id"] in (listing.supplier_id, other.supplier_id)


@pytest.mark.django_db
def test_in_a_time_zone_whose_days_start_mid_hour_the_figures_are_counted_live():
    listing, other = jit_listing(), jit_listing()
    _orders_across_the_window(listing, other)
    with timezone.override("Asia/Kolkata"):  # UTC+5:30
        now, start, days = _window()
        # Deadlines ten minutes either side of yesterday's local midnight: one UTC hour, two
        # days.
        midnight = datetime.combine(days[-1], time.min, tzinfo=timezone.get_current_timezone())
        for n, minutes in enumerate((-10, 10)):
            deadline = midnight + timedelta(minutes=minutes)
            jit_order(listing, ordered_at=deadline - 24 * H, external_id=f"SO-M{n}")
        from_tally, counted = due_counts(now, start, days), live_due_counts(start, now)
        assert from_tally.by_day == counted.by_day
        assert from_tally.by_supplier == counted.by_supplier
