"""The event outbox: which deliveries an event makes, in which transaction, at what cost."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.models import ApiClient
from marketplace import events, webhooks
from marketplace.models import Event, WebhookDelivery, WebhookEndpoint
from tests.factories.accounts import api_client
from tests.factories.suppliers import SupplierFactory

pytestmark = pytest.mark.django_db


def _endpoint(client: ApiClient | None = None, **fields: object) -> WebhookEndpoint:
    if client is None:
        client = api_client(name=f"Client {WebhookEndpoint.objects.count()}")[0]
    fields.setdefault("url", "http://127.0.0.1:9/hook")
    fields.setdefault("secret", "s3cret")
    return WebhookEndpoint.objects.create(client=client, **fields)


def _endpoints_reached(event: Event) -> set[int]:
    return set(WebhookDelivery.objects.filter(event=event).values_list("endpoint_id", flat=True))


def test_an_event_makes_one_delivery_per_subscribed_active_endpoint(
    django_capture_on_commit_callbacks,
):
    everything = _endpoint()
    ledger_only = _endpoint(event_kinds=["ledger.posted"])
    _endpoint(is_active=False)
    retired_client, _key = api_client(name="Retired")
    ApiClient.objects.filter(pk=retired_client.pk).update(is_active=False)
    _endpoint(client=retired_client)
    supplier = SupplierFactory()

    with django_capture_on_commit_callbacks() as enqueued, transaction.atomic():
        applied = events.record_event("supplier.applied", actor=None, supplier=supplier)
        posted = events.record_event("ledger.posted", actor=None, supplier=supplier)

    assert _endpoints_reached(applied) == {everything.pk}
    assert _endpoints_reached(posted) == {everything.pk, ledger_only.pk}
    delivery = WebhookDelivery.objects.get(event=applied)
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 0
    assert delivery.next_attempt_at == delivery.created_at == applied.occurred_at
    # A worker is asked to dispatch once the transaction commits.
    assert len(enqueued) == 2


def test_an_event_nobody_subscribes_to_enqueues_nothing(django_capture_on_commit_callbacks):
    _endpoint(event_kinds=["ledger.posted"])
    with django_capture_on_commit_callbacks() as enqueued:
        event = events.record_event("supplier.applied", actor=None, supplier=SupplierFactory())
    assert Event.objects.filter(pk=event.pk).exists()
    assert not WebhookDelivery.objects.exists()
    assert enqueued == []


def test_a_rolled_back_change_records_and_enqueues_nothing(django_capture_on_commit_callbacks):
    _endpoint()
    supplier = SupplierFactory()
    with (
        django_capture_on_commit_callbacks() as enqueued,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        events.record_event("supplier.applied", actor=None, supplier=supplier)
        raise RuntimeError("the business action failed")
    assert not Event.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert enqueued == []


@pytest.mark.parametrize("count", [10, 1000])
def test_recording_a_batch_costs_the_same_queries_whatever_its_size(
    count, django_assert_max_num_queries
):
    _endpoint()
    _endpoint(event_kinds=["supplier.jit_paused"])
    _endpoint(event_kinds=["ledger.posted"])
    supplier = SupplierFactory()
    batch = [
        events.NewEvent(
            "supplier.jit_paused", supplier=supplier, subject=supplier, payload={"n": n}
        )
        for n in range(count)
    ]
    events.record_events([events.NewEvent("warm.content_types", subject=supplier)])

    # A savepoint, the events, the endpoints, the deliveries, the release.
    with django_assert_max_num_queries(5):
        recorded = events.record_events(batch)

    assert len(recorded) == count
    assert all(event.pk for event in recorded)
    assert WebhookDelivery.objects.filter(event__kind="supplier.jit_paused").count() == 2 * count


def test_recording_nothing_costs_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert events.record_events([]) == []


def test_the_body_is_the_same_bytes_before_and_after_the_database():
    supplier = SupplierFactory()
    at = datetime(2025, 6, 1, 8, 30, 0, 123456, tzinfo=UTC)
    event = events.record_event(
        "ledger.posted",
        actor=None,
        supplier=supplier,
        subject=supplier,
        reason="直通车押金",
        payload={"zeta": Decimal("5000.10"), "at": at, "a": 1, "nested": {"b": 2, "a": 1}},
    )
    stored = Event.objects.select_related("subject_type").get(pk=event.pk)

    body = webhooks.event_body(event)
    assert body == webhooks.event_body(stored)
    assert body.decode() == json.dumps(
        json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert json.loads(body) == {
        "id": event.pk,
        "kind": "ledger.posted",
        "occurred_at": event.occurred_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "supplier_id": supplier.pk,
        "subject": {"type": "supplier", "id": str(supplier.pk)},
        "reason": "直通车押金",
        "payload": {
            "zeta": "5000.10",
            "at": "2025-06-01T08:30:00.123Z",
            "a": 1,
            "nested": {"a": 1, "b": 2},
        },
    }
    assert "直通车押金".encode() in body


def test_an_event_without_subject_or_supplier_has_nulls():
    event = events.record_event("platform.note", actor=None)
    body = json.loads(webhooks.event_body(event))
    assert body["subject"] is None
    assert body["supplier_id"] is None
    assert body["payload"] == {}


def test_the_signature_is_the_standard_webhooks_one():
    # The test vector of the Standard Webhooks specification.
    assert webhooks.sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "1614265330",
        b'{"test": 2432232314}',
    ) == ("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")


def test_the_earlier_signature_is_unchanged_for_a_carried_over_secret():
    # The earlier scheme's published vector, with "s3cret" carried over as whsec_czNjcmV0.
    assert webhooks.legacy_sign("whsec_czNjcmV0", "1700000000", b'{"id":1}') == (
        "sha256=ee0658aa4e37018df69c24227df01e0f680eb3b87c7f1f9bd936e283cfe01d9b"
    )


def test_backoff_doubles_from_thirty_seconds_up_to_two_hours():
    assert [webhooks.backoff(n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert webhooks.backoff(9) == timedelta(hours=2)
    assert webhooks.backoff(40) == timedelta(hours=2)


def test_migrate_installs_the_dispatch_entry_expiring_before_its_next_run():
    task = PeriodicTask.objects.get(name="dispatch-webhooks")
    assert task.task == "marketplace.tasks.dispatch_webhooks"
    assert task.enabled
    assert task.interval is not None
    assert (task.interval.every, task.interval.period) == (60, IntervalSchedule.SECONDS)
    assert 0 < task.expire_seconds < 60


def test_a_supplier_or_content_type_an_event_names_cannot_be_deleted_through_django():
    """The event's supplier and subject type have no constraint in the database (the sweep's
    commits would check two per event); PROTECT still refuses the delete."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import ProtectedError

    supplier = SupplierFactory()
    kind = ContentType.objects.create(app_label="gone", model="thing")
    events.record_event(
        "supplier.status_changed", actor=None, supplier=supplier, subject=None, payload={}
    )
    Event.objects.filter(supplier=supplier).update(subject_type=kind, subject_id="1")
    with pytest.raises(ProtectedError):
        supplier.delete()
    with pytest.raises(ProtectedError):
        kind.delete()
    assert Event.objects.filter(supplier=supplier, subject_type=kind).exists()
