"""The deadline sweep: every minute from beat and `manage.py sweep_jit_deadlines`.

It derives everything from the database and works set-based, a batch of orders at a time, one
transaction per batch:

1. lock a batch of orders that have a tier due (`FOR UPDATE SKIP LOCKED`: a second sweep running
   at the same moment takes other orders);
2. lock their suppliers (in id order, as every posting does), insert the ledger entries and the
   penalties (a unique constraint on order and tier backs the flags), write the outcome back on
   the orders (`late_24h_penalized`, ..., `penalty_total`), pause JIT for suppliers whose deposit
   fell below the minimum, and write the events;
3. commit.

A crash rolls the batch back whole; a re-run finds only what is still due. On PostgreSQL an
advisory lock lets one sweep run at a time; the row locks keep even overlapping runs apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from marketplace.events import NewEvent, record_events
from suppliers.models import LedgerEntry, Supplier

from ..models import JitOrder, Penalty
from ..rules import RULE_VERSION, Rules, rules

logger = logging.getLogger(__name__)
Status = JitOrder.Status
BATCH_SIZE = 2000
ADVISORY_LOCK_KEY = 7_301_024  # any constant unique to this sweep

SHIPPED_STATES = [Status.SHIPPED, Status.RECEIVED, Status.ACCEPTED, Status.REJECTED_QUALITY]


def _shipped_at() -> Coalesce:
    return Coalesce(F("first_scan_at"), F("shipment_recorded_at"))


def tier_conditions(now: datetime, r: Rules) -> list[tuple[str, str, Decimal, Q]]:
    """(tier, flag column, multiple, due condition), in the order tiers are assessed."""

    def late(after: timedelta) -> Q:
        # Unshipped past the deadline now; or shipped, or declared out of stock, after it.
        return (
            Q(status=Status.AWAITING_SHIPMENT, ordered_at__lt=now - after)
            | Q(status__in=SHIPPED_STATES, shipped_time__gt=F("ordered_at") + after)
            | Q(status=Status.FAILED_STOCKOUT, stockout_declared_at__gt=F("ordered_at") + after)
        )

    late_24 = late(r.ship_within)
    late_48 = late(r.late_after)
    quality = Q(status=Status.REJECTED_QUALITY)
    stockout = Q(status=Status.FAILED_STOCKOUT) | Q(
        status=Status.AWAITING_SHIPMENT, ordered_at__lt=now - r.stockout_after
    )
    return [
        (Penalty.Tier.LATE_24H, "late_24h_penalized", r.late_multiple, late_24),
        (
            Penalty.Tier.LATE_48H,
            "late_48h_penalized",
            r.late_total_multiple - r.late_multiple,
            late_48,
        ),
        (Penalty.Tier.QUALITY, "quality_penalized", r.quality_multiple, quality),
        (Penalty.Tier.STOCKOUT, "stockout_penalized", r.stockout_multiple, stockout),
    ]


def _candidates(flag: str, due: Q) -> QuerySet[JitOrder]:
    return JitOrder.objects.annotate(shipped_time=_shipped_at()).filter(due, **{flag: False})


@dataclass
class SweepResult:
    penalties: int = 0
    amount: Decimal = Decimal("0")
    reminders: int = 0
    stockouts: int = 0
    paused_suppliers: int = 0
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "another sweep is running"
        return (
            f"{self.penalties} penalties ({self.amount} CNY), {self.stockouts} stockouts, "
            f"{self.reminders} reminders, JIT paused for {self.paused_suppliers} suppliers"
        )


def _evidence(
    order: dict[str, Any], tier: str, now: datetime, multiple: Decimal, amount: Decimal, r: Rules
) -> dict[str, Any]:
    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "rule": tier,
        "rule_version": RULE_VERSION,
        "ordered_at": iso(order["ordered_at"]),
        "deadline_24h": iso(order["ordered_at"] + r.ship_within),
        "deadline_48h": iso(order["ordered_at"] + r.late_after),
        "first_scan_at": iso(order["first_scan_at"]),
        "shipment_recorded_at": iso(order["shipment_recorded_at"]),
        "shipped_at": iso(order["shipped_time"]),
        "status": order["status"],
        "stockout_declared_at": iso(order["stockout_declared_at"]),
        "inspected_at": iso(order["inspected_at"]),
        "defect_notes": order["defect_notes"],
        "goods_value": str(order["goods_value"]),
        "multiple": str(multiple),
        "penalties_before": str(order["penalty_total"]),
        "amount": str(amount),
        "assessed_at": now.isoformat(),
    }


FIELDS = [
    "id",
    "supplier_id",
    "goods_value",
    "penalty_total",
    "ordered_at",
    "first_scan_at",
    "shipment_recorded_at",
    "shipped_time",
    "status",
    "stockout_declared_at",
    "inspected_at",
    "defect_notes",
]


def _assess_batch(
    tier: str, flag: str, multiple: Decimal, due: Q, now: datetime, r: Rules, result: SweepResult
) -> int:
    """One transaction: the next batch of orders due for `tier`. Returns how many it took."""
    with transaction.atomic():
        ids = list(
            _candidates(flag, due)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")
            .values_list("id", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            return 0
        orders = list(
            JitOrder.objects.annotate(shipped_time=_shipped_at()).filter(pk__in=ids).values(*FIELDS)
        )
        supplier_ids = sorted({o["supplier_id"] for o in orders})
        # Serialise with every other posting to these suppliers (the ledger's rule).
        list(
            Supplier.objects.select_for_update()
            .filter(pk__in=supplier_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

        order_type = ContentType.objects.get_for_model(JitOrder)
        amounts = {}
        for o in orders:
            cap_left = r.cap_multiple * o["goods_value"] - o["penalty_total"]
            amounts[o["id"]] = max(Decimal("0"), min(multiple * o["goods_value"], cap_left))
        memo = f"JIT penalty: {Penalty.Tier(tier).label} ({RULE_VERSION})"
        entries = LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    supplier_id=o["supplier_id"],
                    kind=LedgerEntry.Kind.PENALTY,
                    amount=-amounts[o["id"]],
                    reference_type=order_type,
                    reference_id=str(o["id"]),
                    memo=memo,
                    posted_at=now,
                )
                for o in orders
                if amounts[o["id"]] > 0
            ]
        )
        entry_of = {int(e.reference_id): e for e in entries}
        penalties = Penalty.objects.bulk_create(
            [
                Penalty(
                    order_id=o["id"],
                    supplier_id=o["supplier_id"],
                    tier=tier,
                    multiple=multiple,
                    amount=amounts[o["id"]],
                    rule_version=RULE_VERSION,
                    assessed_at=now,
                    evidence=_evidence(o, tier, now, multiple, amounts[o["id"]], r),
                    ledger_entry=entry_of.get(o["id"]),
                )
                for o in orders
            ]
        )
        changes: dict[str, Any] = {
            flag: True,
            "penalty_total": Least(
                F("penalty_total") + multiple * F("goods_value"), r.cap_multiple * F("goods_value")
            ),
        }
        JitOrder.objects.filter(pk__in=ids).update(**changes)
        if tier == Penalty.Tier.STOCKOUT:
            result.stockouts += JitOrder.objects.filter(
                pk__in=ids, status=Status.AWAITING_SHIPMENT
            ).update(status=Status.FAILED_STOCKOUT)
        paused = _pause_jit_below_minimum(supplier_ids, now)
        events = [
            NewEvent(
                "order.penalty_assessed",
                None,
                subject=p,
                supplier_id=p.supplier_id,
                reason=memo,
                payload={"order": p.order_id, "tier": tier, "amount": str(p.amount)},
            )
            for p in penalties
        ]
        events += [
            NewEvent(
                "supplier.jit_paused",
                None,
                supplier_id=supplier_id,
                reason=reason,
                payload={"balance": str(balance)},
            )
            for supplier_id, balance, reason in paused
        ]
        record_events(events)
    result.penalties += len(penalties)
    result.amount += sum(amounts.values(), Decimal("0"))
    result.paused_suppliers += len(paused)
    return len(ids)


def _pause_jit_below_minimum(
    supplier_ids: list[int], now: datetime
) -> list[tuple[int, Decimal, str]]:
    """Suppliers (locked by the caller) enrolled in JIT whose deposit is now below the minimum:
    pause them, as a single posting would (suppliers.services.ledger)."""
    minimum = settings.JIT_MIN_DEPOSIT_CNY
    enrolled = list(
        Supplier.objects.filter(pk__in=supplier_ids, jit_status=Supplier.JitStatus.ENROLLED)
        .annotate(balance=Coalesce(Sum("ledger_entries__amount"), Decimal("0")))
        .filter(balance__lt=minimum)
        .values_list("pk", "balance")
    )
    paused = []
    for supplier_id, balance in enrolled:
        reason = f"Deposit {balance} CNY is below the JIT minimum of {minimum} CNY."
        paused.append((supplier_id, balance, reason))
    if paused:
        for supplier_id, _balance, reason in paused:
            Supplier.objects.filter(pk=supplier_id).update(
                jit_status=Supplier.JitStatus.PAUSED,
                jit_status_reason=reason,
                jit_status_changed_at=now,
            )
    return paused


def _send_reminders(now: datetime, r: Rules, result: SweepResult) -> None:
    for field, after, label in (
        ("reminded_18h_at", r.reminders[0], "first"),
        ("reminded_23h_at", r.reminders[1], "second"),
    ):
        while True:
            with transaction.atomic():
                due = list(
                    JitOrder.objects.select_for_update(skip_locked=True)
                    .filter(
                        status=Status.AWAITING_SHIPMENT,
                        ordered_at__lt=now - after,
                        **{f"{field}__isnull": True},
                    )
                    .order_by("id")
                    .values("id", "supplier_id", "ordered_at")[:BATCH_SIZE]
                )
                if not due:
                    break
                JitOrder.objects.filter(pk__in=[o["id"] for o in due]).update(**{field: now})
                record_events(
                    NewEvent(
                        "order.shipping_reminder",
                        None,
                        supplier_id=o["supplier_id"],
                        reason=f"Ship before {(o['ordered_at'] + r.ship_within).isoformat()}",
                        payload={
                            "order": o["id"],
                            "reminder": label,
                            "deadline": (o["ordered_at"] + r.ship_within).isoformat(),
                        },
                    )
                    for o in due
                )
            result.reminders += len(due)


def sweep_jit_deadlines(*, now: datetime | None = None) -> SweepResult:
    """Assess every penalty and send every reminder due at `now` (default: the present)."""
    now = now or timezone.now()
    r = rules()
    result = SweepResult()
    with _one_sweep_at_a_time() as mine:
        if not mine:
            result.skipped = True
            return result
        _send_reminders(now, r, result)
        for tier, flag, multiple, due in tier_conditions(now, r):
            while _assess_batch(tier, flag, multiple, due, now, r, result) == BATCH_SIZE:
                pass
    return result


class _one_sweep_at_a_time:
    """A PostgreSQL session advisory lock: a sweep that finds another running steps aside
    (the row locks would keep them apart anyway; this spares the database the contention)."""

    def __enter__(self) -> bool:
        self.held = False
        if connection.vendor != "postgresql":
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc: object) -> None:
        if self.held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
