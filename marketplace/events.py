"""The event outbox and webhook delivery.

`record_event` writes an event row in the caller's transaction, with one delivery row per
webhook endpoint that wants it; after commit a worker is asked to dispatch. `dispatch_due`
(a Celery task on commit and every minute from beat) claims due deliveries with a lease, POSTs
them signed per Standard Webhooks, and records every attempt. Everything lives in the database,
so a lost queue message or a worker killed mid-send delays a delivery, never loses it; receivers
get each event at least once and tell repeats apart by the event id.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from .celery import enqueue_on_commit
from .event_kinds import EVENT_KINDS as EVENT_KINDS
from .models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .signing import legacy_sign, sign

if TYPE_CHECKING:
    from accounts.models import User
    from suppliers.models import Supplier

# Standard Webhooks headers (marketplace/signing.py): the id is the event id, the same on every
# retry and replay; the timestamp is this attempt's, in Unix seconds.
WEBHOOK_ID_HEADER = "webhook-id"
WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp"
WEBHOOK_SIGNATURE_HEADER = "webhook-signature"
EVENT_KIND_HEADER = "X-Marketplace-Event"
# The earlier scheme, still sent to endpoints whose receivers have not moved over
# (WebhookEndpoint.legacy_signature): `sha256=<hex HMAC of "{timestamp}.{body}">`.
LEGACY_SIGNATURE_HEADER = "X-Marketplace-Signature"
LEGACY_TIMESTAMP_HEADER = "X-Marketplace-Timestamp"
LEGACY_EVENT_ID_HEADER = "X-Marketplace-Event-Id"


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
        # The same bytes whether the payload is the dict just recorded or the one read back
        # from jsonb (which reorders keys).
        sort_keys=True,
    ).encode()


def signed_headers(endpoint: WebhookEndpoint, event: Event, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    message_id = str(event.pk)
    headers = {
        WEBHOOK_ID_HEADER: message_id,
        WEBHOOK_TIMESTAMP_HEADER: timestamp,
        WEBHOOK_SIGNATURE_HEADER: sign(endpoint.secret, message_id, timestamp, body),
        EVENT_KIND_HEADER: event.kind,
    }
    if endpoint.legacy_signature:
        headers |= {
            LEGACY_EVENT_ID_HEADER: message_id,
            LEGACY_TIMESTAMP_HEADER: timestamp,
            LEGACY_SIGNATURE_HEADER: legacy_sign(endpoint.secret, timestamp, body),
        }
    return headers


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 30 s, 1 min, 2 min, ... capped at 2 h."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** (attempts - 1), settings.WEBHOOK_RETRY_CAP_SECONDS))


def _lease() -> timedelta:
    """How long a claimed delivery is left to the worker sending it: one send, with room."""
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3)


def _claim_due(limit: int) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries for this worker: rows locked by another worker are
    skipped, and the claimed ones are pushed ahead by the lease so no one else sends them.
    Each returned delivery carries its lease in `next_attempt_at`, the token `_renew_lease`
    checks before sending."""
    now = timezone.now()
    lease = now + _lease()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event__subject_type", "endpoint")
            .filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                # A deactivated endpoint or client gets nothing more; its deliveries wait.
                endpoint__is_active=True,
                endpoint__client__is_active=True,
            )
            .order_by("next_attempt_at", "id")[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=lease)
    for delivery in due:
        delivery.next_attempt_at = lease
    return due


def _renew_lease(delivery: WebhookDelivery) -> bool:
    """Extend this worker's lease just before sending, if it still holds it.

    A batch is claimed at once but sent one by one, so against a slow endpoint the later
    leases run out before their turn and another worker may claim them. The update succeeds
    only while the row still carries the lease this worker wrote (a row lock makes the check
    and the write one step), so exactly one of the two sends it.
    """
    renewed = timezone.now() + _lease()
    won = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at=delivery.next_attempt_at,
    ).update(next_attempt_at=renewed)
    if won:
        delivery.next_attempt_at = renewed
    return bool(won)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed attempt: urllib would follow a 301/302/303 as a GET without the
    body (and count the event delivered), or to an address nobody registered."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


_opener = urllib.request.build_opener(_RefuseRedirects)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    if urlsplit(delivery.endpoint.url).scheme not in {"http", "https"}:
        # URLField also accepts ftp(s)://, which urllib would happily open.
        return None, "Only http and https URLs are supported."
    body = event_body(delivery.event)
    try:
        signed = signed_headers(delivery.endpoint, delivery.event, body)
    except ValueError as error:  # a secret saved around the admin's checks
        return None, f"Signing secret: {error}"
    request = urllib.request.Request(  # noqa: S310 - operators register http(s) URLs only
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "marketplace-webhooks/2",
            **signed,
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code} {error.reason}"[:500]
    # Whatever the receiver does (refuses, hangs, answers garbage: http.client's errors are
    # not OSErrors) is a failed attempt to record, never an exception that stops the batch
    # and leaves the delivery re-sent after every lease without ever being recorded.
    except (OSError, http.client.HTTPException, ValueError) as error:
        return None, (str(getattr(error, "reason", error)) or type(error).__name__)[:500]


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
    if status_code is not None and 200 <= status_code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.DELIVERED,
            attempts=F("attempts") + 1,
            delivered_at=now,
        )
        return True
    retry_at = now + backoff(delivery.attempts + 1)
    window_closes = delivery.created_at + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    # Only while this worker's lease is still on the row: a failure must not undo another
    # worker's success, nor push back a replay the operator asked for meanwhile.
    WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at=delivery.next_attempt_at,
    ).update(
        attempts=F("attempts") + 1,
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
            if _renew_lease(delivery):
                deliver(delivery)
                sent += 1
        if len(batch) < batch_size:
            break
    return sent


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
        from .tasks import dispatch_webhooks

        enqueue_on_commit(dispatch_webhooks)
    return count
