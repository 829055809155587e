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
from .models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from accounts.models import User
    from suppliers.models import Supplier

SIGNATURE_HEADER = "X-Marketplace-Signature"
TIMESTAMP_HEADER = "X-Marketplace-Timestamp"
EVENT_ID_HEADER = "X-Marketplace-Event-Id"
EVENT_KIND_HEADER = "X-Marketplace-Event"


# Every kind of event the code records (each `record_event` call names one); an endpoint
# subscribes to some or, with none, to all. The admin offers these, the OpenAPI schema lists them,
# and tests/admin/test_events_admin.py checks the list against the code.
EVENT_KINDS: dict[str, str] = {
    "supplier.applied": "A factory owner applied through the portal.",
    "supplier.changes_requested": "An operator asked the applicant for changes (reason).",
    "supplier.resubmitted": "The applicant sent the changed application back.",
    "supplier.status_changed": "A status move; payload {from, to}, with the reason.",
    "supplier.jit_enrolled": "The supplier joined the JIT pilot.",
    "supplier.jit_paused": "JIT paused: the deposit fell below the minimum; payload {balance}.",
    "supplier.jit_resumed": "JIT resumed: the deposit is back; payload {balance}.",
    "supplier.withdrawal_requested": "The owner asked for money back; payload {amount}.",
    "supplier.withdrawal_approved": "Finance paid a withdrawal out; payload {amount}.",
    "supplier.withdrawal_rejected": "Finance refused a withdrawal (reason).",
    "supplier.member_invited": "The owner invited a colleague; payload {email}.",
    "supplier.member_joined": "An invited colleague joined; payload {username}.",
    "supplier.member_removed": "The owner removed a colleague; payload {username}.",
    "supplier.owner_changed": "The ownership moved; payload {from, to} (usernames).",
    "product.created": "A product was created; payload {title_en, category, hs_code, source}.",
    "product.updated": "A supplier changed a product; payload {changed} (and image).",
    "listing.created": "A supplier created a listing; payload {mode, is_jit}.",
    "listing.status_changed": "A listing moved; payload {from, to}, with the reason.",
    "listing.price_proposed": "The supplier proposed a price; payload {listing, round, price}.",
    "listing.price_countered": "An operator countered; payload {listing, round, price}.",
    "listing.price_rejected": "An operator rejected the price (reason); payload {listing, round}.",
    "listing.price_withdrawn": "The supplier withdrew its price; payload {listing, round}.",
    "listing.price_agreed": "The supply price is agreed; payload {listing, round, price}.",
    "listing.retail_price_set": "A retail price was set; payload {market, amount, currency}.",
    "tender.opened": "An operator opened a tender; payload {product, quantity, closes_at}.",
    "tender.bid_placed": "A supplier placed or lowered its sealed bid (no amount is sent).",
    "tender.closed": "A tender closed; payload {status}: awarded or unawarded.",
    "tender.awarded": "The supplier won the tender; payload {tender, listing}.",
    "tender.lost": "The supplier's bid did not win; payload {tender}.",
    "order.created": "A JIT order was made; payload {quantity, goods_value, deadline}.",
    "order.shipped": "The supplier shipped a JIT order; payload {from, to}.",
    "order.scanned": "The carrier's first scan, the shipment time; payload {first_scan_at}.",
    "stocking.issued": (
        "The platform asked the supplier to stock a listing; payload {listing, quantity, "
        "warehouse, expires_at}."
    ),
    "stocking.accepted": "The supplier accepted a stocking order; payload {from, to}.",
    "stocking.declined": "The supplier declined a stocking order (reason).",
    "stocking.shipped": "The stocking order's goods are on their way; payload {from, to}.",
    "stocking.lapsed": "A stocking order expired unshipped.",
    "stocking.cancelled": "An operator cancelled a stocking order (reason).",
    "inbound.created": (
        "The supplier noticed an inbound shipment; payload {stocking_order, pickup}."
    ),
    "inbound.booked": "An inbound shipment was booked; payload {from, to}.",
    "inbound.in_transit": "An inbound shipment left; payload {from, to}.",
    "inbound.arrived": "An inbound shipment reached the warehouse; payload {from, to}.",
    "inbound.receiving": "Receiving started; payload {from, to}.",
    "inbound.received": "Every line was counted; payload {from, to}.",
    "inbound.closed": "Every lot was inspected; payload {from, to}.",
    "inbound.cancelled": "An inbound shipment was cancelled (reason).",
    "inbound.pickup_scheduled": "A circular pickup slot was assigned; payload {date, window}.",
    "inbound.counted": (
        "A line was counted; payload {line, declared, received, damaged, discrepancy}."
    ),
    "inspection.accepted": (
        "A lot passed inspection; payload {lot_size, severity, letter, sample_size, "
        "accept, reject, defects}."
    ),
    "inspection.rejected": (
        "A lot failed inspection and goes back at the supplier's cost; payload as accepted."
    ),
    "inspection.severity_changed": (
        "The switching rules moved a supplier's product; payload {product, from, to}."
    ),
    "consumer_order.reserved": (
        "A storefront order reserved consignment stock; payload {listing, quantity, warehouse}."
    ),
    "consumer_order.fulfilled": (
        "A consumer order shipped: ownership passed, payable recorded; payload {payable, quantity}."
    ),
    "consumer_order.cancelled": "A consumer order was cancelled and its stock released.",
    "overstock.offered": (
        "Stock unsold for 90 days offered back; payload {listing, quantity, received_at}."
    ),
    "overstock.returned": "The supplier took overstock back at its freight; payload {quantity}.",
    "overstock.left_for_markdown": (
        "The supplier left overstock for a markdown; payload {quantity}."
    ),
    "overstock.marked_down": "An operator recorded the markdown (reason); payload {quantity}.",
    "order.received": "The JIT warehouse counted the goods; payload {from, to}.",
    "order.accepted": "The goods passed inspection; payload {from, to}.",
    "order.rejected_quality": "The goods failed inspection (defect notes); payload {from, to}.",
    "order.failed_stockout": "The supplier declared a stockout (reason); payload {from, to}.",
    "order.cancelled": "The consumer cancelled before shipment; payload {from, to}.",
    "order.shipping_reminder": "A JIT order is due soon; payload {order, reminder, deadline}.",
    "order.penalty_assessed": "A penalty was taken; payload {order, tier, amount}.",
    "order.penalty_appealed": "The supplier appealed a penalty (reason).",
    "order.penalty_upheld": "An operator upheld an appealed penalty (reason).",
    "order.penalty_waived": "An operator waived a penalty; payload {amount} given back.",
    "order.penalty_reversed": (
        "The carrier's first scan showed shipment before the tier's deadline: the penalty was "
        "given back; payload {order, tier, amount, first_scan_at, deadline}."
    ),
    "ledger.posted": "A deposit ledger entry; payload {kind, amount, balance} (CNY strings).",
}


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


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `<timestamp>.<body>`, hex; sent as `sha256=<hex>`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


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
