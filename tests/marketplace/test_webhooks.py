"""Webhook delivery against a real HTTP receiver that checks signatures as docs/webhooks.md
tells integrators to (the Standard Webhooks library): signing, retries with back-off, replay,
exactly-once claiming, and no event lost when a worker dies mid-send (threads, then a real
Celery worker killed with SIGKILL).
"""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from marketplace import events, webhooks
from marketplace.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from marketplace.signing import new_secret
from marketplace.tasks import dispatch_webhooks
from suppliers.services.ledger import ledger_top_up
from tests.concurrency import run_in_threads
from tests.factories.accounts import api_client
from tests.factories.suppliers import SupplierFactory

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + base64.b64encode(b"test-key-0123456789-abcdefghij").decode()
START = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


def _documented_verify() -> Callable[[str, Any, bytes], bool]:
    """The receiver example of docs/webhooks.md, run as written: true when it accepts."""
    text = (ROOT / "docs" / "webhooks.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    verified_event = namespace["verified_event"]
    return lambda secret, headers, body: verified_event(secret, headers, body) is not None


VERIFY = _documented_verify()


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def event_id(self) -> int:
        return int(self.headers["webhook-id"])

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


# A held request is answered at the latest after this: a test that forgets to release fails
# rather than hangs.
HOLD_LIMIT = 60


@dataclass
class Receiver:
    """What a receiver saw, and how it answers: `answers` in turn (then 200 for ever). After
    `hold(n)` the next n requests get no answer until `release()` lets one go: a slow or hung
    receiver, for exactly as long as the test needs. With `meet(n)` the first n requests wait
    for each other, so n senders are proven to be sending at once. "garbage" answers bytes that
    are not HTTP."""

    url: str = ""
    answers: list[int | str] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)
    held: int = 0
    gate: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    meeting: threading.Barrier | None = None

    def per_event(self) -> Counter[int]:
        with self.lock:
            return Counter(r.event_id for r in self.requests if r.method == "POST")

    def wait_for(self, count: int, timeout: float = 30) -> None:
        """Until `count` requests have arrived (a held one counts once it is in)."""
        with self.lock:
            arrived = self.lock.wait_for(lambda: len(self.requests) >= count, timeout)
            assert arrived, f"{len(self.requests)} of {count} requests"

    def hold(self, count: int = 1) -> None:
        with self.lock:
            self.held = count

    def release(self, count: int = 1) -> None:
        self.gate.release(count)

    def meet(self, parties: int) -> None:
        self.meeting = threading.Barrier(parties, timeout=HOLD_LIMIT)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._record(body)

        def do_GET(self) -> None:
            self._record(b"")

        def _record(self, body: bytes) -> None:
            try:
                verified = VERIFY(SECRET, self.headers, body)
            except ValueError:  # the body is not JSON (a GET)
                verified = False
            with state.lock:
                state.requests.append(
                    Received(
                        self.command,
                        self.path,
                        {name.lower(): value for name, value in self.headers.items()},
                        body,
                        verified,
                    )
                )
                state.lock.notify_all()
                answer = state.answers.pop(0) if state.answers else 200
                held = state.held > 0
                state.held -= held
                meeting = state.meeting
                meets = meeting is not None and len(state.requests) <= meeting.parties
            if meets:
                assert meeting is not None
                meeting.wait()
            if held:
                state.gate.acquire(timeout=HOLD_LIMIT)
            if answer == "garbage":
                self.wfile.write(b"this is not HTTP\r\n\r\n")
                return
            assert isinstance(answer, int)
            self.send_response(answer)
            if 300 <= answer < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the sender gave up (a timeout) before the slow answer was written

    server = Server(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/marketplace"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release(len(state.requests) + 1)  # whatever is still held goes
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(db: None, receiver: Receiver) -> WebhookEndpoint:
    client, _key = api_client(name="Storefront")
    return WebhookEndpoint.objects.create(client=client, url=receiver.url, secret=SECRET)


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def _event(kind: str = "supplier.status_changed", **payload: Any) -> Event:
    return events.record_event(
        kind,
        actor=None,
        supplier=SupplierFactory(),
        reason="Licence verified",
        payload=payload or {"from": "onboarding", "to": "active"},
    )


# --- One delivery -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_delivery_is_a_signed_post_of_the_event_json(receiver, endpoint):
    event = _event()

    assert webhooks.dispatch_due() == 1

    [request] = receiver.requests
    assert request.verified
    assert (request.method, request.path) == ("POST", "/hooks/marketplace")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == str(event.pk)
    assert request.headers["x-marketplace-event"] == "supplier.status_changed"
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 5
    assert request.headers["webhook-signature"].startswith("v1,")
    # A new endpoint gets the standard headers only.
    assert "x-marketplace-signature" not in request.headers
    assert request.body == webhooks.event_body(event)
    assert request.json()["payload"] == {"from": "onboarding", "to": "active"}
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    assert delivery.delivered_at is not None
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 200
    assert attempt.succeeded
    assert attempt.error == ""
    assert 0 <= attempt.duration_ms < 5000
    assert attempt.attempted_at == delivery.delivered_at
    # A second run of the sweep has nothing to do.
    assert webhooks.dispatch_due() == 0
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_receiver_with_another_secret_rejects_the_signature(receiver, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=new_secret())
    receiver.answers = [401]
    _event()
    webhooks.dispatch_due()
    [request] = receiver.requests
    assert not request.verified
    assert WebhookAttempt.objects.get().status_code == 401


def _signed(timestamp: str, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": "1",
        "webhook-timestamp": timestamp,
        "webhook-signature": webhooks.sign(SECRET, "1", timestamp, body),
    }


def test_the_documented_check_refuses_a_timestamp_older_than_five_minutes():
    body = b'{"id":1}'
    assert not VERIFY(SECRET, _signed(str(int(time.time()) - 301), body), body)
    fresh = _signed(str(int(time.time()) - 10), body)
    assert VERIFY(SECRET, fresh, body)
    assert not VERIFY(SECRET, fresh, body + b" ")
    assert not VERIFY(SECRET, {**fresh, "webhook-id": "2"}, body)


# --- Standard Webhooks, checked with its own library --------------------------------------------


@pytest.mark.django_db
def test_the_bytes_sent_verify_with_the_standard_webhooks_library(receiver, endpoint):
    event = _event("ledger.posted", amount="12.50", balance="12.50")
    webhooks.dispatch_due()
    [request] = receiver.requests

    # What an integrator writes, straight from the library, over the bytes as received.
    assert Webhook(SECRET).verify(request.body, request.headers) == json.loads(
        webhooks.event_body(event)
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.body.replace(b"12.50", b"99.50"), request.headers)
    # The library's own signature of the same message is the one we sent.
    sent_at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), tz=UTC)
    assert (
        Webhook(SECRET).sign(str(event.pk), sent_at, request.body)
        == (request.headers["webhook-signature"])
    )


def test_new_secrets_are_standard_and_random():
    first, second = new_secret(), new_secret()
    assert first != second
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    Webhook(first)  # the library takes it as it is


@pytest.mark.django_db
def test_an_endpoint_from_before_keeps_its_key_and_gets_both_signatures(receiver, endpoint):
    """The migration carries an old plain secret over as the same key in whsec_ form, and the
    endpoint keeps receiving the earlier headers its receiver verifies."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("marketplace.migrations.0004_webhook_standard_signatures")
    old_secret = "old-plain-secret"
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=old_secret)

    migration.to_standard(apps, None)

    endpoint.refresh_from_db()
    assert endpoint.legacy_signature
    assert endpoint.secret == "whsec_" + base64.b64encode(old_secret.encode()).decode()
    event = _event()
    webhooks.dispatch_due()
    [request] = receiver.requests
    headers, body = request.headers, request.body
    # The receiver's old check, unchanged, with the secret it always had.
    mac = hmac.new(
        old_secret.encode(), headers["x-marketplace-timestamp"].encode() + b"." + body, "sha256"
    )
    assert headers["x-marketplace-signature"] == f"sha256={mac.hexdigest()}"
    assert headers["x-marketplace-event-id"] == str(event.pk)
    # And the library, with the secret's new form.
    Webhook(endpoint.secret).verify(body, headers)
    # Run again, the migration leaves converted secrets alone.
    migration.to_standard(apps, None)
    endpoint.refresh_from_db()
    assert endpoint.secret == "whsec_" + base64.b64encode(old_secret.encode()).decode()


@pytest.mark.django_db
def test_a_ledger_top_up_reaches_the_receiver(receiver, endpoint):
    supplier = SupplierFactory()
    entry = ledger_top_up(supplier, amount="1234.50", bank_reference="ICBC-77", actor=None)

    delivery = WebhookDelivery.objects.get(event__kind="ledger.posted")
    assert delivery.endpoint == endpoint
    webhooks.dispatch_due()

    [request] = receiver.requests
    assert request.verified
    body = request.json()
    assert body["kind"] == "ledger.posted"
    assert body["supplier_id"] == supplier.pk
    assert body["subject"] == {"type": "ledgerentry", "id": str(entry.pk)}
    assert body["payload"] == {"kind": "top_up", "amount": "1234.50", "balance": "1234.50"}


@pytest.mark.django_db
def test_only_subscribed_kinds_are_sent(receiver, endpoint):
    endpoint.event_kinds = ["ledger.posted"]
    endpoint.save()
    _event("supplier.applied")
    posted = _event("ledger.posted", amount="1.00")
    assert webhooks.dispatch_due() == 1
    assert receiver.per_event() == {posted.pk: 1}


@pytest.mark.django_db
def test_a_deactivated_endpoint_or_client_is_sent_nothing_more(receiver, endpoint):
    event = _event()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    assert webhooks.dispatch_due() == 0
    endpoint.client.is_active = False
    endpoint.client.save()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True)
    assert webhooks.dispatch_due() == 0
    assert receiver.requests == []

    endpoint.client.is_active = True
    endpoint.client.save()
    assert webhooks.dispatch_due() == 1
    assert receiver.per_event() == {event.pk: 1}


@pytest.mark.django_db
def test_a_redirect_is_a_failed_attempt_not_followed(receiver, endpoint):
    receiver.answers = [302]
    _event()
    webhooks.dispatch_due()
    # Followed, the POST would have become a body-less GET to /elsewhere, counted delivered.
    assert [(r.method, r.path) for r in receiver.requests] == [("POST", "/hooks/marketplace")]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempt_log.get().status_code == 302


@pytest.mark.django_db
def test_an_answer_that_is_not_http_is_recorded_and_the_batch_goes_on(receiver, endpoint):
    receiver.answers = ["garbage"]
    first, second = _event(), _event()

    assert webhooks.dispatch_due() == 2

    assert receiver.per_event() == {first.pk: 1, second.pk: 1}
    failed = WebhookDelivery.objects.get(event=first)
    assert failed.status == WebhookDelivery.Status.PENDING
    assert failed.attempts == 1
    attempt = failed.attempt_log.get()
    assert attempt.status_code is None
    assert attempt.error
    assert WebhookDelivery.objects.get(event=second).status == WebhookDelivery.Status.DELIVERED


@pytest.mark.django_db
def test_an_endpoint_that_is_not_http_is_never_opened(endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="ftp://127.0.0.1/hooks")
    _event()
    webhooks.dispatch_due()
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "http" in attempt.error


# --- Retries, the retry window, replay ------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_endpoint_is_retried_with_backoff_then_failed_then_replayed(
    receiver, endpoint, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with time_machine.travel(START, tick=False) as clock:
        event = _event()
        delivery = WebhookDelivery.objects.get(event=event)

        def attempt_when_due() -> WebhookAttempt:
            row = WebhookDelivery.objects.get(pk=delivery.pk)
            clock.move_to(row.next_attempt_at - timedelta(seconds=1))
            assert webhooks.dispatch_due() == 0, "not due yet"
            clock.move_to(row.next_attempt_at)
            assert webhooks.dispatch_due() == 1
            attempt = WebhookAttempt.objects.filter(delivery=delivery).first()
            assert attempt is not None
            after = WebhookDelivery.objects.get(pk=delivery.pk)
            assert after.attempts == row.attempts + 1
            assert after.next_attempt_at == attempt.attempted_at + webhooks.backoff(after.attempts)
            return attempt

        # 1. The receiver answers 500.
        receiver.answers = [500]
        attempt = attempt_when_due()
        assert (attempt.status_code, attempt.error) == (500, "HTTP 500 Internal Server Error")
        assert attempt.attempted_at == START

        # 2. Nothing listens on the port.
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=_closed_port_url())
        attempt = attempt_when_due()
        assert attempt.status_code is None
        assert "refused" in attempt.error.lower()
        assert attempt.attempted_at == START + timedelta(seconds=30)

        # 3. The receiver takes longer than the timeout to answer.
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)
        receiver.hold()  # no answer until the sender has given up
        attempt = attempt_when_due()
        receiver.release()
        assert attempt.status_code is None
        assert "timed out" in attempt.error
        assert attempt.duration_ms >= 900

        # 4. It keeps failing until the 24-hour window closes.
        receiver.answers = [503] * 50
        while WebhookDelivery.objects.get(pk=delivery.pk).status == WebhookDelivery.Status.PENDING:
            attempt_when_due()
        failed = WebhookDelivery.objects.get(pk=delivery.pk)
        assert failed.status == WebhookDelivery.Status.FAILED
        assert failed.delivered_at is None
        log = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("attempted_at"))
        assert len(log) == failed.attempts == 19
        assert all(a.attempted_at <= START + timedelta(hours=24) for a in log)
        assert failed.next_attempt_at > START + timedelta(hours=24)
        gaps = [b.attempted_at - a.attempted_at for a, b in itertools.pairwise(log)]
        assert gaps == [webhooks.backoff(n) for n in range(1, len(log))]
        # Given up: a day later the sweep still leaves it alone.
        clock.shift(timedelta(days=1))
        assert webhooks.dispatch_due() == 0
        sent_before_replay = len(receiver.requests)

        # 5. The operator replays it: sent at once, the back-off started over.
        receiver.answers = [500]
        assert events.replay(WebhookDelivery.objects.filter(pk=delivery.pk)) == 1
        replayed_at = timezone.now()
        assert webhooks.dispatch_due() == 1
        again = WebhookDelivery.objects.get(pk=delivery.pk)
        assert again.status == WebhookDelivery.Status.PENDING
        assert again.next_attempt_at == replayed_at + timedelta(seconds=30)
        clock.shift(timedelta(seconds=30))
        assert webhooks.dispatch_due() == 1

    done = WebhookDelivery.objects.get(pk=delivery.pk)
    assert done.status == WebhookDelivery.Status.DELIVERED
    assert done.delivered_at == replayed_at + timedelta(seconds=30)
    assert done.attempt_log.count() == 21
    assert done.attempt_log.first().status_code == 200
    assert receiver.per_event() == {event.pk: len(receiver.requests)}
    assert len(receiver.requests) == sent_before_replay + 2
    # Same event, same body, every time; each timestamp signed afresh.
    assert {r.body for r in receiver.requests} == {webhooks.event_body(event)}
    assert all(r.verified for r in receiver.requests)


@pytest.mark.django_db
def test_replaying_a_delivered_event_sends_it_again_with_the_same_id(receiver, endpoint):
    event = _event()
    webhooks.dispatch_due()
    events.replay(WebhookDelivery.objects.filter(event=event))
    assert webhooks.dispatch_due() == 1
    assert receiver.per_event() == {event.pk: 2}
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


# --- Claiming: exactly one sender, none lost ----------------------------------------------


@pytest.mark.django_db
def test_a_claimed_delivery_waits_for_its_lease_then_is_sent(receiver, endpoint, settings):
    """A worker that claimed a delivery and died before sending (SIGKILL, OOM, deploy)."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 10
    with time_machine.travel(START, tick=False) as clock:
        event = _event()
        [claimed] = webhooks._claim_due(50)
        assert claimed.event_id == event.pk
        # ... and the worker dies here.

        clock.shift(timedelta(seconds=29))
        assert webhooks.dispatch_due() == 0
        assert receiver.requests == []

        clock.shift(timedelta(seconds=1))
        assert webhooks.dispatch_due() == 1
    assert receiver.per_event() == {event.pk: 1}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1


@pytest.mark.django_db
def test_a_worker_whose_lease_ran_out_does_not_send_what_another_took_over(
    receiver, endpoint, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 10
    with time_machine.travel(START, tick=False) as clock:
        sent = [_event().pk for _ in range(3)]
        slow_worker_batch = webhooks._claim_due(50)
        # The slow worker is still busy with earlier sends when its leases run out.
        clock.shift(timedelta(seconds=31))
        assert webhooks.dispatch_due() == 3
        # It gets to this batch at last: the same steps as dispatch_due's loop.
        late = [webhooks.deliver(d) for d in slow_worker_batch if webhooks._renew_lease(d)]
    assert late == []
    assert receiver.per_event() == dict.fromkeys(sent, 1)
    assert WebhookAttempt.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_send_each_delivery_exactly_once(receiver, endpoint):
    supplier = SupplierFactory()
    with transaction.atomic():
        recorded = events.record_events(
            events.NewEvent("ledger.posted", supplier=supplier, payload={"n": n})
            for n in range(200)
        )
    # Each dispatcher's first send waits for the other's: both are proven to be sending at once.
    receiver.meet(2)

    results = run_in_threads(
        lambda: webhooks.dispatch_due(batch_size=7, max_batches=100),
        lambda: webhooks.dispatch_due(batch_size=7, max_batches=100),
    )

    assert sum(results) == 200
    assert all(results), "both dispatchers took a share"
    assert receiver.per_event() == {event.pk: 1 for event in recorded}
    assert WebhookAttempt.objects.count() == 200
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {
        (WebhookDelivery.Status.DELIVERED, 1)
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_batch_overtaken_by_a_second_dispatcher_is_still_sent_once(
    receiver, endpoint, settings
):
    """The first dispatcher claims ten, and its sends are slow: when it is at the fourth, the
    six it has not reached have outlived their leases, and a second dispatcher takes them over.
    When the fourth is answered at last, the first finds those leases gone and sends none."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 10  # leases of 30 s
    with transaction.atomic():
        recorded = [_event() for _ in range(10)]
    receiver.hold(4)

    with time_machine.travel(START, tick=False) as clock:

        def overtaking() -> int:
            # Each of the first dispatcher's sends takes 9 s (within the timeout); it renews
            # each lease just before the send.
            for arrived in range(1, 4):
                receiver.wait_for(arrived)
                clock.shift(timedelta(seconds=9))
                receiver.release()
            receiver.wait_for(4)  # the fourth, renewed at +27 s, is being sent
            clock.shift(timedelta(seconds=4))  # +31 s: the claim's leases (+30 s) ran out
            try:
                return webhooks.dispatch_due()
            finally:
                receiver.release()

        first, second = run_in_threads(webhooks.dispatch_due, overtaking)

    assert (first, second) == (4, 6)
    assert receiver.per_event() == {event.pk: 1 for event in recorded}
    assert WebhookAttempt.objects.count() == 10


# --- A real worker, killed mid-send ----------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _start_worker(queue: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "WEBHOOK_TIMEOUT_SECONDS": "10",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "marketplace",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
            f"--queues={queue}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def worker_queue() -> Iterator[str]:
    """A queue of this test's own on the shared test broker: no worker of another test run
    takes its messages, and nothing else is flushed."""
    queue = f"webhooks-test-{uuid.uuid4().hex[:12]}"
    yield queue
    broker = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    broker.delete(queue)
    # The killed worker's unacknowledged message would otherwise come back in an hour.
    for tag, raw in broker.hgetall("unacked").items():
        if queue.encode() in raw:
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_loses_no_event(receiver, endpoint, worker_queue):
    receiver.hold()  # the worker's send hangs until it is killed
    with transaction.atomic():
        event = _event()
    delivery = WebhookDelivery.objects.get(event=event)

    first = _start_worker(worker_queue)
    try:
        dispatch_webhooks.apply_async(queue=worker_queue)
        receiver.wait_for(1)  # the worker is now waiting for the answer
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        _stop(first)
        receiver.release()  # the answer goes to a dead socket

    claimed = WebhookDelivery.objects.get(pk=delivery.pk)
    assert claimed.status == WebhookDelivery.Status.PENDING
    assert claimed.attempts == 0
    assert not claimed.attempt_log.exists()
    # Leased for three timeouts from the claim: nobody else sends it meanwhile.
    assert claimed.next_attempt_at > timezone.now() + timedelta(seconds=20)

    second = _start_worker(worker_queue)
    try:
        # Beat's minute tick, while the lease holds: nothing is due.
        assert dispatch_webhooks.apply_async(queue=worker_queue).get(timeout=20) == 0
        assert WebhookDelivery.objects.get(pk=delivery.pk).status == claimed.status
        # The lease runs out (moved in the database rather than waited for); beat ticks again.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        assert dispatch_webhooks.apply_async(queue=worker_queue).get(timeout=20) == 1
    finally:
        _stop(second)
        output = second.stdout.read() if second.stdout else ""

    done = WebhookDelivery.objects.get(pk=delivery.pk)
    assert done.status == WebhookDelivery.Status.DELIVERED, output
    assert done.attempts == 1
    assert done.attempt_log.get().status_code == 200
    # At least once: the killed worker's request arrived too; the receiver dedupes by id.
    assert receiver.per_event() == {event.pk: 2}
    assert all(r.verified for r in receiver.requests)
