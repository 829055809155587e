"""The delivery target's job: flag the parcels that passed it (shipping.selectors.late says
which), once each, with the event `parcel.late` for webhooks and the supplier."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from marketplace.events import NewEvent, record_events

from ..models import Parcel
from ..selectors.late import parcels_due_late_flag

# Parcels flagged per transaction: a backlog (the first run, a stopped beat) is worked through
# in bounded steps, each committed.
BATCH = 5_000


def parcels_flag_late(*, now: datetime | None = None, actor: User | None = None) -> int:
    """Stamp `late_flagged_at` on every parcel due (set-based, in batches) and record one
    `parcel.late` each; a second run finds nothing. Returns how many were flagged."""
    now = now or timezone.now()
    flagged = 0
    while True:
        with transaction.atomic():
            # Locked and skipped when another run holds them: each parcel is flagged once.
            due = list(
                parcels_due_late_flag(now)
                .order_by("pk")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", "supplier_id", "tracking_number", "picked_up_at")[:BATCH]
            )
            if not due:
                return flagged
            Parcel.objects.filter(pk__in=[pk for pk, *_rest in due]).update(late_flagged_at=now)
            record_events(
                NewEvent(
                    "parcel.late",
                    actor=actor,
                    supplier_id=supplier_id,
                    subject=Parcel(pk=pk),
                    payload={
                        "tracking_number": number,
                        "picked_up_at": picked_up_at.isoformat() if picked_up_at else None,
                        "days": settings.DELIVERY_TARGET_DAYS,
                    },
                )
                for pk, supplier_id, number, picked_up_at in due
            )
            flagged += len(due)
