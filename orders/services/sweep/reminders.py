"""The shipping reminders at 18 h and 23 h, once each and only while the 24 h deadline is still
ahead: sent per batch of locked orders on PostgreSQL (`remind_locked`), in batches of their own
through the ORM elsewhere (`send_reminders`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection, transaction

from marketplace.events import NewEvent, record_events

from ...models import JitOrder
from ...rules import Rules
from .select import reminder_due, reminders

if TYPE_CHECKING:
    from . import SweepResult

Status = JitOrder.Status
REMINDER_EVENT = "order.shipping_reminder"


def _record(due: list[tuple[int, int, datetime]], label: str, r: Rules) -> None:
    record_events(
        NewEvent(
            REMINDER_EVENT,
            None,
            supplier_id=supplier_id,
            reason=f"Ship before {(ordered_at + r.ship_within).isoformat()}",
            payload={
                "order": order_id,
                "reminder": label,
                "deadline": (ordered_at + r.ship_within).isoformat(),
            },
        )
        for order_id, supplier_id, ordered_at in due
    )


def remind_locked(ids: list[int], now: datetime, r: Rules) -> int:
    """Send the reminders due among these orders, which the caller holds locked: one UPDATE
    per reminder. Returns how many went."""
    sent = 0
    for field, after, label in reminders(r):
        with connection.cursor() as cursor:
            cursor.execute(  # `field` is one of the two reminder columns
                f"UPDATE orders_jitorder SET {field} = %s WHERE id = ANY(%s) "  # noqa: S608
                f"AND status = %s AND ordered_at < %s AND ordered_at > %s AND {field} IS NULL "
                "RETURNING id, supplier_id, ordered_at",
                [now, ids, Status.AWAITING_SHIPMENT, now - after, now - r.ship_within],
            )
            due = sorted(cursor.fetchall())
        if due:
            _record(due, label, r)
            sent += len(due)
    return sent


def send_reminders(now: datetime, r: Rules, result: SweepResult, size: int) -> None:
    """The ORM's way: each reminder in batches of `size`, one transaction each."""
    for field, after, label in reminders(r):
        last = 0
        while True:
            with transaction.atomic():
                due = list(
                    JitOrder.objects.select_for_update(skip_locked=True)
                    .filter(reminder_due(now, field, after, r), pk__gt=last)
                    .order_by("id")
                    .values_list("id", "supplier_id", "ordered_at")[:size]
                )
                if not due:
                    break
                last = due[-1][0]
                JitOrder.objects.filter(pk__in=[order_id for order_id, _s, _o in due]).update(
                    **{field: now}
                )
                _record(due, label, r)
            result.reminders += len(due)
            if len(due) < size:
                break
