"""The penalty table and the sweep (SPEC, "JIT pre-sale orders")."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from marketplace.models import Event
from orders.models import JitOrder, Penalty
from orders.services.sweep import sweep_jit_deadlines
from suppliers.models import LedgerEntry, Supplier
from suppliers.selectors import supplier_balance
from tests.factories.orders import jit_listing, jit_order

pytestmark = pytest.mark.django_db
D = Decimal
H = timedelta(hours=1)
ROOT = Path(__file__).resolve().parents[2]


def reference(
    *,
    ordered: datetime,
    now: datetime,
    shipped: datetime | None,
    rejected: bool,
    stockout_declared: datetime | None,
    cancelled: bool,
) -> dict[str, Decimal]:
    """The SPEC table, written plainly: multiples of goods value per tier, capped at 5 in
    total, tiers taken in the table's order."""
    if cancelled:
        return {}
    due: list[tuple[str, Decimal]] = []
    # The order stopped running late when it shipped or was declared out of stock.
    ended = shipped or stockout_declared
    unshipped = ended is None

    def late(hours: int) -> bool:
        if ended is not None:
            return ended > ordered + hours * H
        return now > ordered + hours * H

    if late(24):
        due.append(("late_24h", D(1)))
    if late(48):
        due.append(("late_48h", D(4)))
    if rejected:
        due.append(("quality", D(5)))
    if stockout_declared is not None or (unshipped and now > ordered + 72 * H):
        due.append(("stockout", D(5)))
    taken, result = D(0), {}
    for tier, multiple in due:
        amount = min(multiple, D(5) - taken)
        result[tier] = amount
        taken += amount
    return result


@pytest.fixture
def listing(sweep_path):
    return jit_listing()


def penalties_of(order) -> dict[str, Decimal]:
    return {p.tier: p.amount / order.goods_value for p in Penalty.objects.filter(order=order)}


def test_frozen_at_23h59_nothing_at_24h01_one_times_goods_value(listing):
    start = timezone.now()
    order = jit_order(listing, ordered_at=start)
    sweep_jit_deadlines(now=start + 23 * H + timedelta(minutes=59))
    assert not Penalty.objects.exists()
    sweep_jit_deadlines(now=start + 24 * H + timedelta(minutes=1))
    penalty = Penalty.objects.get()
    assert (penalty.tier, penalty.amount) == ("late_24h", order.goods_value)
    assert penalty.ledger_entry.amount == -order.goods_value
    assert penalty.evidence["deadline_24h"] == (start + 24 * H).isoformat()
    assert penalty.rule_version == "jit-2026.1"


def test_a_rerun_changes_nothing(listing):
    start = timezone.now()
    for _ in range(5):
        jit_order(listing, ordered_at=start)
    now = start + 80 * H
    first = sweep_jit_deadlines(now=now)
    counts = (Penalty.objects.count(), LedgerEntry.objects.count(), Event.objects.count())
    again = sweep_jit_deadlines(now=now)
    assert first.penalties == 15  # 24 h, 48 h and stockout (capped at 0) for each
    assert again.penalties == 0
    assert (Penalty.objects.count(), LedgerEntry.objects.count(), Event.objects.count()) == counts


def test_unshipped_for_72h_fails_as_stockout_and_never_more_than_5x(listing):
    start = timezone.now()
    order = jit_order(listing, ordered_at=start)
    for hours in (25, 49, 73, 100):
        sweep_jit_deadlines(now=start + hours * H)
    order.refresh_from_db()
    assert order.status == JitOrder.Status.FAILED_STOCKOUT
    assert penalties_of(order) == {"late_24h": 1, "late_48h": 4, "stockout": 0}
    assert order.penalty_total == 5 * order.goods_value
    assert supplier_balance(listing.supplier_id) == D("100000.00") - 5 * order.goods_value


def test_reminders_at_18h_and_23h_once_each(listing):
    start = timezone.now()
    jit_order(listing, ordered_at=start)
    for hours in (17, 18.5, 19, 23.5, 23.9):
        sweep_jit_deadlines(now=start + timedelta(hours=hours))
    reminders = list(
        Event.objects.filter(kind="order.shipping_reminder")
        .order_by("id")
        .values_list("payload__reminder", flat=True)
    )
    assert reminders == ["first", "second"]


def test_penalties_pause_jit_below_the_minimum(settings, sweep_path):
    settings.JIT_MIN_DEPOSIT_CNY = D("5000.00")
    listing = jit_listing(deposit="5030.00", price="20.00")
    start = timezone.now()
    jit_order(listing, ordered_at=start, quantity=1)
    jit_order(listing, ordered_at=start, quantity=1)
    sweep_jit_deadlines(now=start + 25 * H)
    supplier = Supplier.objects.get(pk=listing.supplier_id)
    assert supplier_balance(supplier.pk) == D("4990.00")
    assert supplier.jit_status == Supplier.JitStatus.PAUSED
    assert Event.objects.filter(kind="supplier.jit_paused").count() == 1


FACTS = st.fixed_dictionaries(
    {
        "ship_after": st.one_of(st.none(), st.floats(min_value=0, max_value=90)),
        "scan_delay": st.one_of(st.none(), st.floats(min_value=-3, max_value=10)),
        "outcome": st.sampled_from(["none", "accepted", "rejected"]),
        "stockout_at": st.one_of(st.none(), st.floats(min_value=0, max_value=90)),
        "cancelled": st.booleans(),
        "sweeps": st.lists(st.floats(min_value=0, max_value=120), min_size=1, max_size=4),
    }
)


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(facts=FACTS)
def test_the_sweep_agrees_with_the_spec_table(listing, facts):
    """Whatever happens to an order and whenever the sweeps run, the penalties after the last
    sweep are the table's for the facts known then."""
    start = timezone.now().replace(microsecond=0)
    order = jit_order(listing, ordered_at=start)
    ship_after, scan_delay = facts["ship_after"], facts["scan_delay"]
    stockout_at = facts["stockout_at"]
    cancelled = facts["cancelled"] and ship_after is None and stockout_at is None
    if ship_after is not None and stockout_at is not None:
        stockout_at = None if stockout_at > ship_after else stockout_at
        ship_after = None if stockout_at is not None else ship_after
    sweeps = sorted(facts["sweeps"])
    last = sweeps[-1]

    def at(hours: float) -> datetime:
        return start + timedelta(hours=hours)

    # The facts as they stand at the last sweep (events after it are not yet known).
    shipped = at(ship_after) if ship_after is not None and ship_after <= last else None
    scanned = (
        at(ship_after + scan_delay)
        if shipped is not None and scan_delay is not None and ship_after + scan_delay <= last
        else None
    )
    declared = at(stockout_at) if stockout_at is not None and stockout_at <= last else None
    rejected = shipped is not None and facts["outcome"] == "rejected"
    # Replay: each sweep sees the order as it stood then.
    for when in sweeps:
        order.refresh_from_db()
        updates: dict[str, object] = {}
        if cancelled and order.status == "awaiting_shipment":
            updates.update(status="cancelled", cancelled_at=at(0))
        if ship_after is not None and ship_after <= when and order.status == "awaiting_shipment":
            updates.update(
                status="shipped", shipment_recorded_at=at(ship_after), waybill="SF123456789012"
            )
        if scanned is not None and ship_after + scan_delay <= when:
            updates["first_scan_at"] = scanned
        if stockout_at is not None and stockout_at <= when and order.status == "awaiting_shipment":
            updates.update(status="failed_stockout", stockout_declared_at=at(stockout_at))
        if updates.get("status", order.status) == "shipped" and facts["outcome"] != "none":
            updates["status"] = "accepted" if facts["outcome"] == "accepted" else "rejected_quality"
        if updates:
            JitOrder.objects.filter(pk=order.pk).update(**updates)
        sweep_jit_deadlines(now=at(when))
    order.refresh_from_db()
    # The facts as the replay made them: a sweep past 72 h fails an unshipped order as a
    # stockout, and goods that come later can no longer ship.
    if order.shipment_recorded_at is None:
        shipped = scanned = None
        rejected = False
    expected = reference(
        ordered=start,
        now=at(last),
        shipped=scanned or shipped,
        rejected=rejected,
        stockout_declared=declared,
        cancelled=cancelled,
    )
    got = penalties_of(order)
    # A late tier assessed while unshipped stays assessed when the goods go later: the table
    # judges lateness at the time it passes.
    assert got == expected, (facts, got, expected)
    assert sum(got.values(), D(0)) <= 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_in_parallel_processes_penalise_each_order_once():
    from orders.models import JitOrder as Order

    listing = jit_listing(deposit="10000000.00", price="10.00")
    start = timezone.now() - 30 * H
    Order.objects.bulk_create(
        Order(
            listing=listing,
            supplier_id=listing.supplier_id,
            external_id=f"SO-{n}",
            quantity=1,
            unit_supply_price=D("10.00"),
            goods_value=D("10.00"),
            ordered_at=start,
        )
        for n in range(10_000)
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "sweep_jit_deadlines"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert Penalty.objects.count() == 10_000
    assert Penalty.objects.values("order", "tier").distinct().count() == 10_000
    assert LedgerEntry.objects.filter(kind="penalty").count() == 10_000
    assert supplier_balance(listing.supplier_id) == D("10000000.00") - D("100000.00")


def _member(listing):
    from tests.factories.suppliers import MembershipFactory

    return MembershipFactory(supplier=listing.supplier, role="staff").user


def test_a_waived_penalty_no_longer_counts_toward_the_cap(listing):
    """1x late, waived on appeal, then a quality rejection: the rejection takes the full 5x
    (only penalties standing count toward the cap)."""
    from orders.services.orders import appeal_decide, penalty_appeal
    from tests.factories.accounts import UserFactory

    start = timezone.now()
    order = jit_order(listing, ordered_at=start)
    sweep_jit_deadlines(now=start + 25 * H)
    late = Penalty.objects.get(order=order)
    appeal = penalty_appeal(late, reason="SF depot closed", actor=_member(listing))
    appeal_decide(appeal, waive=True, reason="Depot outage confirmed", actor=UserFactory())
    order.refresh_from_db()
    assert order.penalty_total == 0
    JitOrder.objects.filter(pk=order.pk).update(
        status=JitOrder.Status.REJECTED_QUALITY,
        waybill="SF123456789012",
        shipment_recorded_at=start + 26 * H,
        inspected_at=start + 40 * H,
        defect_notes="cracked",
    )
    sweep_jit_deadlines(now=start + 41 * H)
    assert penalties_of(order)["quality"] == 5
    order.refresh_from_db()
    assert order.penalty_total == 5 * order.goods_value
    # The deposit lost exactly the 5x standing: the waived 1x came back.
    assert supplier_balance(listing.supplier_id) == D("100000.00") - 5 * order.goods_value


def test_an_upheld_penalty_still_counts_toward_the_cap(listing):
    from orders.services.orders import appeal_decide, penalty_appeal
    from tests.factories.accounts import UserFactory

    start = timezone.now()
    order = jit_order(listing, ordered_at=start)
    sweep_jit_deadlines(now=start + 25 * H)
    appeal = penalty_appeal(Penalty.objects.get(), reason="no", actor=_member(listing))
    appeal_decide(appeal, waive=False, reason="Late is late", actor=UserFactory())
    JitOrder.objects.filter(pk=order.pk).update(
        status=JitOrder.Status.REJECTED_QUALITY, shipment_recorded_at=start + 26 * H
    )
    sweep_jit_deadlines(now=start + 41 * H)
    assert penalties_of(order) == {"late_24h": 1, "quality": 4}


def test_no_reminder_once_the_deadline_has_passed(listing):
    """A sweep that runs late (here first at 30 h) takes the penalty and sends no reminder of
    a deadline already past."""
    start = timezone.now()
    jit_order(listing, ordered_at=start)
    result = sweep_jit_deadlines(now=start + 30 * H)
    assert result.reminders == 0
    assert not Event.objects.filter(kind="order.shipping_reminder").exists()
    assert Penalty.objects.get().tier == "late_24h"
    assert sweep_jit_deadlines(now=start + 31 * H).reminders == 0


def test_a_late_sweep_still_reminds_while_the_deadline_is_ahead(listing):
    start = timezone.now()
    jit_order(listing, ordered_at=start)
    assert sweep_jit_deadlines(now=start + 23.5 * H).reminders == 2
    assert not Penalty.objects.exists()


def test_the_sweep_posts_ledger_events_as_the_ledger_service_does(listing):
    """Every entry the sweep posts has its `ledger.posted` (docs/webhooks.md) in the same
    transaction, with the ledger service's payload: kind, amount and the balance after it,
    and a delivery to each endpoint that wants it."""
    from marketplace.models import WebhookDelivery, WebhookEndpoint
    from suppliers.services.ledger import ledger_penalty
    from tests.factories.accounts import api_client

    client, _plain = api_client(scopes=["read"], name="Books")
    wanted = WebhookEndpoint.objects.create(
        client=client,
        url="https://books.test/hook",
        secret="s",
        event_kinds=["ledger.posted"],
    )
    start = timezone.now()
    orders = [jit_order(listing, ordered_at=start, quantity=n) for n in (1, 2, 3)]
    sweep_jit_deadlines(now=start + 50 * H)
    entries = list(
        LedgerEntry.objects.filter(supplier_id=listing.supplier_id, kind="penalty").order_by("pk")
    )
    assert len(entries) == 2 * len(orders)  # 24 h and 48 h for each
    events = {
        int(e.subject_id): e
        for e in Event.objects.filter(
            kind="ledger.posted", subject_id__in=[str(x.pk) for x in entries]
        )
    }
    balance = D("100000.00")
    for entry in entries:
        balance += entry.amount
        event = events[entry.pk]
        assert event.payload == {
            "kind": "penalty",
            "amount": str(entry.amount),
            "balance": str(balance),
        }
        assert (event.supplier_id, event.reason, event.actor_id) == (
            listing.supplier_id,
            entry.memo,
            None,
        )
        assert event.subject_type.model_class() is LedgerEntry
        assert WebhookDelivery.objects.filter(event=event, endpoint=wanted).exists()
    assert balance == supplier_balance(listing.supplier_id)
    # The same shape as a posting of the ledger service.
    reference = ledger_penalty(
        Supplier.objects.get(pk=listing.supplier_id),
        amount="1.00",
        actor=None,
        reference=orders[0],
        memo="x",
    )
    own = Event.objects.get(kind="ledger.posted", subject_id=str(reference.pk))
    assert own.payload == {"kind": "penalty", "amount": "-1.00", "balance": str(balance - 1)}
    assert own.subject_type_id == events[entries[0].pk].subject_type_id
    # Penalty events go to endpoints that want them, not to this one.
    assert not WebhookDelivery.objects.filter(
        endpoint=wanted, event__kind="order.penalty_assessed"
    ).exists()
