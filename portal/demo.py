"""Demo data for the portal's own state: a newcomer opening the demo portal finds a handful of
unread notifications, not every event the demo was built with."""

from __future__ import annotations

from marketplace.models import Event
from suppliers.models import Membership

DEMO_UNREAD = 5


def demo_notifications_mostly_read(keep_unread: int = DEMO_UNREAD) -> int:
    """Mark each member's notifications read up to its supplier's `keep_unread` newest events
    (never moving a member's mark back). Returns how many members were updated."""
    updated = 0
    for membership in Membership.objects.all():
        events = Event.objects.filter(supplier_id=membership.supplier_id).order_by(
            "-occurred_at", "-id"
        )
        older = events.values_list("occurred_at", flat=True)[keep_unread : keep_unread + 1]
        mark = next(iter(older), None)
        if mark is None:
            continue
        seen = membership.notifications_seen_at
        if seen is None or seen < mark:
            Membership.objects.filter(pk=membership.pk).update(notifications_seen_at=mark)
            updated += 1
    return updated
