"""The event outbox.

`record_event` writes an event row in the caller's transaction, with one delivery row per
webhook endpoint that wants it; after commit a worker is asked to dispatch
(`marketplace.webhooks` sends them). An operator's `replay` puts deliveries back in the queue the
same way. Everything lives in the database, so a lost queue message or a worker killed mid-send
delays a delivery, never loses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .celery import enqueue_on_commit
from .event_kinds import EVENT_KINDS as EVENT_KINDS
from .models import Event, WebhookDelivery, WebhookEndpoint
from .tasks import dispatch_webhooks

if TYPE_CHECKING:
    from accounts.models import User
    from suppliers.models import Supplier


@dataclass(frozen=True)
class NewEvent:
    kind: str
    actor: User | None = None
    supplier: Supplier | None = None
    subject: models.Model | None = None
    reason: str = ""
    payload: Mapping[str, Any] | None = None
    # Instead of `supplier` when only its id is at hand (a sweep, a listing).
    supplier_id: int | None = None

    def row(self, now: datetime) -> Event:
        subject_type = (
            ContentType.objects.get_for_model(self.subject) if self.subject is not None else None
        )
        return Event(
            kind=self.kind,
            occurred_at=now,
            actor=self.actor,
            supplier_id=self.supplier.pk if self.supplier is not None else self.supplier_id,
            subject_type=subject_type,
            subject_id=str(self.subject.pk) if self.subject is not None else "",
            reason=self.reason,
            payload=dict(self.payload or {}),
        )


def record_event(
    kind: str,
    *,
    actor: User | None,
    supplier: Supplier | None = None,
    supplier_id: int | None = None,
    subject: models.Model | None = None,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
) -> Event:
    """Write one event (and its webhook deliveries) in the current transaction."""
    [event] = record_events(
        [NewEvent(kind, actor, supplier, subject, reason, payload, supplier_id)]
    )
    return event


def record_events(new_events: Iterable[NewEvent]) -> list[Event]:
    """Write many events at once (a sweep's batch): two inserts, whatever the count."""
    now = timezone.now()
    rows = [new.row(now) for new in new_events]
    if not rows:
        return []
    # Atomic even when the caller has no transaction: an event without its deliveries would
    # never reach the webhooks.
    with transaction.atomic():
        events = Event.objects.bulk_create(rows)
        endpoints = list(
            WebhookEndpoint.objects.filter(is_active=True, client__is_active=True).only(
                "id", "event_kinds"
            )
        )
        deliveries = [
            WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=now, created_at=now)
            for event in events
            for endpoint in endpoints
            if endpoint.wants(event.kind)
        ]
        if deliveries:
            WebhookDelivery.objects.bulk_create(deliveries)
            enqueue_on_commit(dispatch_webhooks)
    return events


def replay(deliveries: Iterable[WebhookDelivery]) -> int:
    """An operator sends deliveries again (delivered or given up): a fresh retry window, with
    the back-off started over (the attempt log keeps the earlier attempts)."""
    now = timezone.now()
    count = WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status=WebhookDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        delivered_at=None,
    )
    if count:
        enqueue_on_commit(dispatch_webhooks)
    return count
