"""Webhook delivery: the worker's side of the event outbox (`marketplace.events`).

`dispatch_due` (the `dispatch_webhooks` task, queued on commit by the outbox and every minute
from beat) claims due deliveries with a lease, POSTs them signed per Standard Webhooks, and
records every attempt. Receivers get each event at least once and tell repeats apart by the
event id.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import IO
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .signing import legacy_sign, sign

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
