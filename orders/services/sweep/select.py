"""What the sweep finds due: the tiers of the penalty table as ORM conditions (the one
statement of them, which both paths use), the reminders, and the one scan on PostgreSQL that
lists the orders with anything due."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce

from ...models import JIT_ORDER_MACHINE, JitOrder, Penalty
from ...rules import Rules

Status = JitOrder.Status
SHIPPED_STATES = [Status.SHIPPED, Status.RECEIVED, Status.ACCEPTED, Status.REJECTED_QUALITY]
# The sweep's one move of an order's state, set-based: the 72 h stockout fails the orders the
# JIT order machine lets fail (those still awaiting shipment).
STOCKOUT_FAILS = sorted(JIT_ORDER_MACHINE.sources(Status.FAILED_STOCKOUT))


def shipped_at() -> Coalesce:
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


def candidates(flag: str, due: Q) -> QuerySet[JitOrder]:
    return JitOrder.objects.annotate(shipped_time=shipped_at()).filter(due, **{flag: False})


def with_due(now: datetime, r: Rules) -> QuerySet[JitOrder]:
    """Orders with `due_0` .. `due_3`: whether each tier (in `tier_conditions` order) is due."""
    due = {
        f"due_{position}": ExpressionWrapper(cond & Q(**{flag: False}), output_field=BooleanField())
        for position, (_tier, flag, _multiple, cond) in enumerate(tier_conditions(now, r))
    }
    return JitOrder.objects.order_by().annotate(shipped_time=shipped_at()).annotate(**due)


def any_due(now: datetime, r: Rules) -> Q:
    due = Q(pk__in=[])
    for _tier, flag, _multiple, cond in tier_conditions(now, r):
        due |= cond & Q(**{flag: False})
    return due


def reminders(r: Rules) -> list[tuple[str, timedelta, str]]:
    return [
        ("reminded_18h_at", r.reminders[0], "first"),
        ("reminded_23h_at", r.reminders[1], "second"),
    ]


def reminder_due(now: datetime, field: str, after: timedelta, r: Rules) -> Q:
    # Only while the shipping deadline is still ahead: a sweep that runs late sends no
    # reminder of a deadline already past (SPEC, "Late evidence").
    return Q(
        status=Status.AWAITING_SHIPMENT,
        ordered_at__lt=now - after,
        ordered_at__gt=now - r.ship_within,
        **{f"{field}__isnull": True},
    )


# Every order with something due: a superset of `tier_conditions` and the reminders, written per
# status so each row costs a comparison or two (most orders are accepted, and an accepted order
# can only be late). The batches re-check every candidate with the ORM's conditions under lock.
_LATE_SHIPPED = """(
    (NOT late_24h_penalized
     AND coalesce(first_scan_at, shipment_recorded_at) > ordered_at + %(ship_within)s::interval)
    OR (NOT late_48h_penalized
        AND coalesce(first_scan_at, shipment_recorded_at) > ordered_at + %(late_after)s::interval)
)"""
CANDIDATES_SQL = """
SELECT id FROM orders_jitorder WHERE CASE status
    WHEN %(accepted)s THEN {late}
    WHEN %(cancelled)s THEN false
    WHEN %(awaiting)s THEN
        (NOT late_24h_penalized AND ordered_at < %(late_cutoff)s)
        OR (NOT late_48h_penalized AND ordered_at < %(late_48_cutoff)s)
        OR (NOT stockout_penalized AND ordered_at < %(stockout_cutoff)s)
        OR (reminded_18h_at IS NULL AND ordered_at < %(first_reminder_cutoff)s
            AND ordered_at > %(late_cutoff)s)
        OR (reminded_23h_at IS NULL AND ordered_at < %(second_reminder_cutoff)s
            AND ordered_at > %(late_cutoff)s)
    WHEN %(shipped)s THEN {late}
    WHEN %(received)s THEN {late}
    WHEN %(rejected_quality)s THEN NOT quality_penalized OR {late}
    WHEN %(failed_stockout)s THEN
        NOT stockout_penalized
        OR (NOT late_24h_penalized
            AND stockout_declared_at > ordered_at + %(ship_within)s::interval)
        OR (NOT late_48h_penalized
            AND stockout_declared_at > ordered_at + %(late_after)s::interval)
    ELSE true
END
""".replace("{late}", _LATE_SHIPPED)


def candidate_params(now: datetime, r: Rules) -> dict[str, Any]:
    """The values of CANDIDATES_SQL's placeholders at `now`."""
    # Time-only intervals: adding one to a timestamp needs no calendar (in the UTC sessions
    # Django opens, 86,400 s is the day the ORM's interval says).
    seconds = lambda after: f"{after.total_seconds()} seconds"  # noqa: E731
    return {
        "accepted": Status.ACCEPTED,
        "cancelled": Status.CANCELLED,
        "awaiting": Status.AWAITING_SHIPMENT,
        "shipped": Status.SHIPPED,
        "received": Status.RECEIVED,
        "rejected_quality": Status.REJECTED_QUALITY,
        "failed_stockout": Status.FAILED_STOCKOUT,
        "ship_within": seconds(r.ship_within),
        "late_after": seconds(r.late_after),
        "late_cutoff": now - r.ship_within,
        "late_48_cutoff": now - r.late_after,
        "stockout_cutoff": now - r.stockout_after,
        "first_reminder_cutoff": now - r.reminders[0],
        "second_reminder_cutoff": now - r.reminders[1],
    }


# What both paths read of an order to assess it (and to write its evidence).
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
