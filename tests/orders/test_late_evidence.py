"""Late evidence (SPEC): a carrier's first scan that arrives after the sweep judged the order
unshipped, stamped before a deadline, reverses the penalties of the tiers it escapes: a
reversal entry through the ledger service, the penalty marked reversed with its reason, an
event the supplier sees; once only, whatever the tier, and safely beside a running sweep."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.errors import DomainError
from marketplace.models import Event
from orders.models import Appeal, JitOrder, Penalty
from orders.services.orders import (
    appeal_decide,
    order_declare_stockout,
    order_first_scan,
    order_ship,
    penalty_appeal,
)
from orders.services.sweep import sweep_jit_deadlines
from suppliers.models import LedgerEntry, Supplier
from suppliers.selectors import supplier_balance
from tests.concurrency import run_together
from tests.factories.accounts import UserFactory
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db
D = Decimal
H = timedelta(hours=1)
WAYBILL = "SF1234567890123"


@pytest.fixture
def carrier():
    return UserFactory(username="sf-express")


def member_of(listing):
    return MembershipFactory(supplier=listing.supplier, role="staff").user


def judged_then_shipped(listing, *, sweep_at: float, waybill: str = WAYBILL, **fields):
    """An order placed 100 h ago, judged by a sweep at `sweep_at` hours while unshipped, then
    recorded as shipped by its supplier (now, long after the deadlines)."""
    start = timezone.now() - 100 * H
    order = jit_order(listing, ordered_at=start, **fields)
    sweep_jit_deadlines(now=start + sweep_at * H)
    order_ship(order, waybill=waybill, actor=member_of(listing))
    order.refresh_from_db()
    return order


def standing(order) -> dict[str, Decimal]:
    return {
        p.tier: p.amount / order.goods_value
        for p in Penalty.objects.filter(order=order).exclude(status="reversed")
    }


def reversals(order) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(kind="penalty_reversal", reference_id=str(order.pk)))


def test_a_scan_before_24h_reverses_the_24h_penalty(sweep_path, carrier):
    listing = jit_listing()
    order = judged_then_shipped(listing, sweep_at=25)
    late = Penalty.objects.get(order=order)
    assert (late.tier, late.amount) == ("late_24h", order.goods_value)

    order_first_scan(waybill=WAYBILL, scanned_at=order.ordered_at + 10 * H, actor=carrier)

    late.refresh_from_db()
    assert late.status == "reversed"
    assert late.reversed_at is not None
    assert "first scan" in late.reversal_reason
    [reversal] = reversals(order)
    assert (reversal.amount, reversal.corrects_id) == (order.goods_value, late.ledger_entry_id)
    assert supplier_balance(listing.supplier_id) == D("100000.00")
    order.refresh_from_db()
    assert order.penalty_total == 0
    told = Event.objects.get(kind="order.penalty_reversed")
    assert told.supplier_id == listing.supplier_id
    assert told.subject_id == str(late.pk)
    assert told.payload["tier"] == "late_24h"
    assert told.payload["amount"] == str(order.goods_value)
    assert Event.objects.filter(kind="ledger.posted", subject_id=str(reversal.pk)).exists()
    # The next sweep judges by the scan: nothing is due again.
    assert sweep_jit_deadlines().penalties == 0


def test_a_scan_between_24h_and_48h_reverses_only_the_48h_tier(sweep_path, carrier):
    listing = jit_listing()
    order = judged_then_shipped(listing, sweep_at=49)
    assert standing(order) == {"late_24h": 1, "late_48h": 4}
    order_first_scan(waybill=WAYBILL, scanned_at=order.ordered_at + 30 * H, actor=carrier)
    assert standing(order) == {"late_24h": 1}
    assert [e.amount for e in reversals(order)] == [4 * order.goods_value]
    order.refresh_from_db()
    assert order.penalty_total == order.goods_value
    assert sweep_jit_deadlines().penalties == 0


def test_a_72h_stockout_of_goods_shipped_in_time_is_reversed_whole(sweep_path, carrier):
    listing = jit_listing()
    start = timezone.now() - 100 * H
    order = jit_order(listing, ordered_at=start)
    sweep_jit_deadlines(now=start + 73 * H)
    order.refresh_from_db()
    assert order.status == "failed_stockout"
    assert standing(order) == {"late_24h": 1, "late_48h": 4, "stockout": 0}
    # The goods did leave: the supplier records the waybill, the carrier's scan proves when.
    order_ship(order, waybill=WAYBILL, actor=member_of(listing))
    order_first_scan(waybill=WAYBILL, scanned_at=start + 20 * H, actor=carrier)
    order.refresh_from_db()
    assert order.status == "shipped"
    assert standing(order) == {}
    assert set(Penalty.objects.filter(order=order).values_list("status", flat=True)) == {"reversed"}
    assert sorted(e.amount for e in reversals(order)) == [order.goods_value, 4 * order.goods_value]
    assert supplier_balance(listing.supplier_id) == D("100000.00")
    assert order.penalty_total == 0
    assert Event.objects.filter(kind="order.penalty_reversed").count() == 3
    assert sweep_jit_deadlines().penalties == 0


def test_a_scan_after_the_deadline_reverses_nothing(sweep_path, carrier):
    listing = jit_listing()
    order = judged_then_shipped(listing, sweep_at=25)
    order_first_scan(
        waybill=WAYBILL, scanned_at=order.ordered_at + 24 * H + timedelta(minutes=1), actor=carrier
    )
    assert standing(order) == {"late_24h": 1}
    assert reversals(order) == []
    assert not Event.objects.filter(kind="order.penalty_reversed").exists()


def test_a_repeated_or_earlier_scan_does_not_reverse_twice(sweep_path, carrier):
    listing = jit_listing()
    order = judged_then_shipped(listing, sweep_at=49)
    for hours in (10, 10, 5, 12):
        order_first_scan(waybill=WAYBILL, scanned_at=order.ordered_at + hours * H, actor=carrier)
    assert len(reversals(order)) == 2
    assert Event.objects.filter(kind="order.penalty_reversed").count() == 2
    assert supplier_balance(listing.supplier_id) == D("100000.00")
    order.refresh_from_db()
    assert order.penalty_total == 0


def test_the_reversal_resumes_jit_when_the_deposit_is_back(settings, sweep_path, carrier):
    settings.JIT_MIN_DEPOSIT_CNY = D("5000.00")
    listing = jit_listing(deposit="5030.00", price="20.00")
    order = judged_then_shipped(listing, sweep_at=25)
    supplier = Supplier.objects.get(pk=listing.supplier_id)
    assert supplier.jit_status == "paused"
    order_first_scan(waybill=WAYBILL, scanned_at=order.ordered_at + 3 * H, actor=carrier)
    supplier.refresh_from_db()
    assert supplier.jit_status == "enrolled"
    assert supplier_balance(supplier.pk) == D("5030.00")
    assert Event.objects.filter(kind="supplier.jit_resumed", supplier=supplier).count() == 1


def test_a_pending_appeal_is_closed_by_the_reversal(carrier):
    listing = jit_listing()
    order = judged_then_shipped(listing, sweep_at=25)
    late = Penalty.objects.get(order=order)
    appeal = penalty_appeal(late, reason="We shipped on time", actor=member_of(listing))
    order_first_scan(waybill=WAYBILL, scanned_at=order.ordered_at + 3 * H, actor=carrier)
    appeal.refresh_from_db()
    assert appeal.decision == Appeal.Decision.WAIVED
    assert Penalty.objects.get(pk=late.pk).status == Penalty.Status.REVERSED
    with pytest.raises(DomainError) as decided:
        appeal_decide(appeal, waive=True, reason="x", actor=UserFactory())
    assert decided.value.code == "already_decided"
    assert len(reversals(order)) == 1


def test_a_waived_penalty_is_not_reversed_again(carrier):
    listing = jit_listing()
    order = judged_then_shipped(listing, sweep_at=25)
    late = Penalty.objects.get(order=order)
    appeal = penalty_appeal(late, reason="Depot closed", actor=member_of(listing))
    appeal_decide(appeal, waive=True, reason="Confirmed", actor=UserFactory())
    order_first_scan(waybill=WAYBILL, scanned_at=order.ordered_at + 3 * H, actor=carrier)
    assert len(reversals(order)) == 1
    assert Penalty.objects.get(pk=late.pk).status == "waived"
    assert supplier_balance(listing.supplier_id) == D("100000.00")


def test_a_reversed_penalty_cannot_be_appealed(carrier):
    listing = jit_listing()
    order = judged_then_shipped(listing, sweep_at=25)
    order_first_scan(waybill=WAYBILL, scanned_at=order.ordered_at + 3 * H, actor=carrier)
    with pytest.raises(DomainError) as refused:
        penalty_appeal(Penalty.objects.get(), reason="x", actor=member_of(listing))
    assert refused.value.code == "penalty_reversed"


def test_a_declared_stockout_stays_failed(carrier):
    listing = jit_listing()
    owner = member_of(listing)
    order = jit_order(listing, ordered_at=timezone.now() - 2 * H)
    order_declare_stockout(order, reason="Line down", actor=owner)
    with pytest.raises(DomainError) as refused:
        order_ship(order, waybill=WAYBILL, actor=owner)
    assert refused.value.code == "invalid_transition"


def test_the_reversal_after_the_cap_lets_a_later_rejection_take_the_full_5x(sweep_path, carrier):
    listing = jit_listing()
    order = judged_then_shipped(listing, sweep_at=25)
    order_first_scan(waybill=WAYBILL, scanned_at=order.ordered_at + 3 * H, actor=carrier)
    JitOrder.objects.filter(pk=order.pk).update(
        status="rejected_quality", inspected_at=timezone.now(), defect_notes="cracked"
    )
    sweep_jit_deadlines()
    assert standing(order) == {"quality": 5}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_scan_and_a_sweep_at_once_neither_deadlock_nor_double_count():
    """The sweep locks its orders (skipping locked ones), then the suppliers in id order; the
    scan locks its orders, then the penalties, then the suppliers: both finish, each penalty
    stands or is reversed once, and the balance is the sum of what stands."""
    listing = jit_listing(deposit="1000000.00", price="10.00")
    owner = member_of(listing)
    carrier = UserFactory(username="sf-express")
    start = timezone.now() - 100 * H
    parcel = [
        jit_order(listing, ordered_at=start, quantity=1, external_id=f"P-{n}") for n in range(20)
    ]
    sweep_jit_deadlines(now=start + 25 * H)
    for order in parcel:
        order_ship(order, waybill=WAYBILL, actor=owner)
    JitOrder.objects.bulk_create(
        JitOrder(
            listing=listing,
            supplier_id=listing.supplier_id,
            external_id=f"O-{n}",
            quantity=1,
            unit_supply_price=D("10.00"),
            goods_value=D("10.00"),
            ordered_at=start,
        )
        for n in range(300)
    )
    both = run_together(
        lambda: sweep_jit_deadlines(now=start + 30 * H),
        lambda: order_first_scan(waybill=WAYBILL, scanned_at=start + 5 * H, actor=carrier),
    )
    assert both.errors == []
    sweep_jit_deadlines(now=start + 30 * H)
    parcel_ids = [o.pk for o in parcel]
    assert set(
        Penalty.objects.filter(order_id__in=parcel_ids).values_list("status", flat=True)
    ) == {"reversed"}
    # Whichever went first (the sweep may have judged the parcel's 48 h tier by the recorded
    # shipment before the scan came), every parcel penalty is given back exactly once.
    taken = LedgerEntry.objects.filter(kind="penalty", reference_id__in=map(str, parcel_ids))
    assert taken.count() in (20, 40)
    for entry in taken:
        assert entry.corrections.filter(kind="penalty_reversal").count() == 1
    others = Penalty.objects.exclude(order_id__in=parcel_ids)
    assert others.count() == 300
    assert set(others.values_list("tier", flat=True)) == {"late_24h"}
    assert supplier_balance(listing.supplier_id) == D("1000000.00") - 300 * D("10.00")


def test_the_carriers_scan_through_the_api_reverses_and_the_penalty_page_says_why(client):
    from tests.api_support import bearer
    from tests.factories.accounts import api_client

    listing = jit_listing()
    order = judged_then_shipped(listing, sweep_at=25)
    _client, plain = api_client(scopes=["tracking:write"], name="SF Express")
    scanned = (order.ordered_at + 2 * H).isoformat()
    response = bearer(plain).post(
        "/api/v1/tracking/scans/",
        {"waybill": WAYBILL, "scanned_at": scanned, "event": "picked_up"},
        format="json",
    )
    assert response.status_code == 200, response.content
    penalty = Penalty.objects.get(order=order)
    assert penalty.status == "reversed"
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(f"/admin/orders/penalty/{penalty.pk}/change/").content.decode()
    assert "Reversed" in page
    assert "first scan" in page
