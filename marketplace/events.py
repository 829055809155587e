"""The event outbox and webhook delivery.

`record_event` writes an event row in the caller's transaction, with one delivery row per
webhook endpoint that wants it; after commit a worker is asked to dispatch. `dispatch_due`
(a Celery task on commit and every minute from beat) claims due deliveries with a lease, POSTs
them signed, and records every attempt. Everything lives in the database, so a lost queue
message or a worker killed mid-send delays a delivery, never loses it; receivers get each event
at least once and tell repeats apart by the event id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .celery import enqueue_on_commit
from .models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from accounts.models import User
    from suppliers.models import Supplier

SIGNATURE_HEADER = "X-Marketplace-Signature"
TIMESTAMP_HEADER = "X-Marketplace-Timestamp"
EVENT_ID_HEADER = "X-Marketplace-Event-Id"
EVENT_KIND_HEADER = "X-Marketplace-Event"


@dataclass(frozen=True)
class NewEvent:
    kind: str
    actor: User | None = None
    supplier: Supplier | None = None
    subject: models.Model | None = None
    reason: str = ""
    payload: Mapping[str, Any] | None = None

    def row(self, now: datetime) -> Event:
        subject_type = (
            ContentType.objects.get_for_model(self.subject) if self.subject is not None else None
        )
        return Event(
            kind=self.kind,
            occurred_at=now,
            actor=self.actor,
            supplier=self.supplier,
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
    subject: models.Model | None = None,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
) -> Event:
    """Write one event (and its webhook deliveries) in the current transaction."""
    [event] = record_events([NewEvent(kind, actor, supplier, subject, reason, payload)])
    return event


def record_events(new_events: Iterable[NewEvent]) -> list[Event]:
    """Write many events at once (a sweep's batch): two inserts, whatever the count."""
    now = timezone.now()
    events = Event.objects.bulk_create([new.row(now) for new in new_events])
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
        from .tasks import dispatch_webhooks

        enqueue_on_commit(dispatch_webhooks)
    return events


# --- Delivery ---------------------------------------------------------------------------------


def event_body(event: Event) -> bytes:
    return json.dumps(
        {
            "id": event.pk,
            "kind": event.kind,
            "occurred_at": event.occurred_at,
            "supplier_id": event.supplier_id,
            "subject": (
                {"type": event.subject_type.model, "id": event.subject_id}
                if event.subject_type is not None
                else None
            ),
            "reason": event.reason,
            "payload": event.payload,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>`, hex; sent as `sha256=<hex>`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 30 s, 1 min, 2 min, ... capped at 2 h."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** (attempts - 1), settings.WEBHOOK_RETRY_CAP_SECONDS))


def _claim_due(limit: int) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries for this worker: rows locked by another worker are
    skipped, and the claimed ones are pushed ahead by the lease so no one else sends them."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event__subject_type", "endpoint")
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3)
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=lease)
    return due


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    body = event_body(delivery.event)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - operators register http(s) URLs only
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "marketplace-webhooks/1",
            EVENT_ID_HEADER: str(delivery.event_id),
            EVENT_KIND_HEADER: delivery.event.kind,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(delivery.endpoint.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code} {error.reason}"
    except (urllib.error.URLError, OSError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def deliver(delivery: WebhookDelivery) -> bool:
    """Send one claimed delivery and record the attempt and its outcome."""
    started = time.monotonic()
    status_code, error = _post(delivery)
    now = timezone.now()
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=status_code,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    attempts = delivery.attempts + 1
    if status_code is not None and 200 <= status_code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.DELIVERED, attempts=attempts, delivered_at=now
        )
        return True
    retry_at = now + backoff(attempts)
    window_closes = delivery.created_at + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts,
        next_attempt_at=retry_at,
        status=(
            WebhookDelivery.Status.FAILED
            if retry_at > window_closes
            else WebhookDelivery.Status.PENDING
        ),
    )
    return False


def dispatch_due(*, batch_size: int = 50, max_batches: int = 20) -> int:
    """Send due deliveries, a batch at a time; returns how many were attempted."""
    sent = 0
    for _ in range(max_batches):
        batch = _claim_due(batch_size)
        for delivery in batch:
            deliver(delivery)
        sent += len(batch)
        if len(batch) < batch_size:
            break
    return sent


def replay(deliveries: Iterable[WebhookDelivery]) -> int:
    """An operator sends deliveries again (delivered or given up): a fresh retry window."""
    now = timezone.now()
    count = WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, created_at=now
    )
    if count:
        from .tasks import dispatch_webhooks

        enqueue_on_commit(dispatch_webhooks)
    return count
