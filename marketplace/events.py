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
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
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
    # Instead of `subject` when only its model and id are at hand (a set-based write).
    subject_ref: tuple[type[models.Model], Any] | None = None

    def _subject(self) -> tuple[ContentType | None, str]:
        if self.subject is not None:
            return ContentType.objects.get_for_model(self.subject), str(self.subject.pk)
        if self.subject_ref is not None:
            model, pk = self.subject_ref
            return ContentType.objects.get_for_model(model), str(pk)
        return None, ""

    def row(self, now: datetime) -> Event:
        subject_type, subject_id = self._subject()
        return Event(
            kind=self.kind,
            occurred_at=now,
            actor=self.actor,
            supplier_id=self.supplier.pk if self.supplier is not None else self.supplier_id,
            subject_type=subject_type,
            subject_id=subject_id,
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
        _deliver([(event.pk, event.kind) for event in events], now)
    return events


_INSERT_EVENTS = """
INSERT INTO marketplace_event
    (kind, occurred_at, actor_id, supplier_id, subject_type_id, subject_id, reason, payload)
SELECT k, %s, a, s, t, i, r, p
FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::int[], %s::text[], %s::text[],
            %s::jsonb[]) AS e(k, a, s, t, i, r, p)
RETURNING id, kind
"""


def record_events_set(new_events: Iterable[NewEvent]) -> int:
    """Write many events without making a model of each (a batch of thousands, as tracking
    records them): one INSERT from arrays on PostgreSQL, `record_events` elsewhere; the same
    rows and webhook deliveries either way. Returns how many were written."""
    new = list(new_events)
    if connection.vendor != "postgresql":
        return len(record_events(new))
    if not new:
        return 0
    now = timezone.now()
    columns: list[list[Any]] = [[], [], [], [], [], [], []]
    encode = DjangoJSONEncoder().encode
    for event in new:
        subject_type, subject_id = event._subject()
        supplier = event.supplier.pk if event.supplier is not None else event.supplier_id
        for column, value in zip(
            columns,
            (
                event.kind,
                event.actor.pk if event.actor is not None else None,
                supplier,
                subject_type.pk if subject_type is not None else None,
                subject_id,
                event.reason,
                encode(dict(event.payload or {})),
            ),
            strict=True,
        ):
            column.append(value)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INSERT_EVENTS, [now, *columns])
        _deliver(cursor.fetchall(), now)
    return len(new)


def _deliver(events: list[tuple[int, str]], now: datetime) -> None:
    """One delivery row per (event, endpoint that wants its kind); the dispatcher asked for
    after the commit."""
    endpoints = list(
        WebhookEndpoint.objects.filter(is_active=True, client__is_active=True).only(
            "id", "event_kinds"
        )
    )
    deliveries = [
        WebhookDelivery(event_id=event_id, endpoint=endpoint, next_attempt_at=now, created_at=now)
        for event_id, kind in events
        for endpoint in endpoints
        if endpoint.wants(kind)
    ]
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        enqueue_on_commit(dispatch_webhooks)


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
