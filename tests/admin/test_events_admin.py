"""Events, webhook endpoints and deliveries, and the periodic jobs, in the admin."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from marketplace.events import EVENT_KINDS, record_event
from marketplace.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from marketplace.signing import secret_key
from suppliers.services.status import supplier_suspend
from tests.factories.accounts import api_client
from tests.factories.suppliers import SupplierFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_every_recorded_event_kind_is_offered_to_webhook_endpoints():
    recorded = set()
    for folder in (
        "marketplace",
        "accounts",
        "suppliers",
        "catalogue",
        "orders",
        "logistics",
        "compliance",
    ):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            recorded |= set(re.findall(r'record_event\(\s*"([a-z_.]+)"', text))
            recorded |= set(re.findall(r'kind = [^\n]*"([a-z_]+\.[a-z_]+)"', text))
    assert recorded, "no record_event call found"
    assert recorded <= set(EVENT_KINDS), recorded - set(EVENT_KINDS)


# --- Events -----------------------------------------------------------------------------------


def test_events_are_read_only_and_show_the_payload(client, operator):
    supplier = SupplierFactory(status="active", name_en="Shantou Toys")
    supplier_suspend(supplier, actor=operator, reason="Quality alert")
    event = Event.objects.get(kind="supplier.status_changed")
    client.force_login(operator)
    listing = client.get("/admin/marketplace/event/", {"q": "Shantou"}).content.decode()
    assert "supplier.status_changed" in listing
    assert "Quality alert" in listing
    page = client.get(f"/admin/marketplace/event/{event.pk}/change/").content.decode()
    assert "<pre>{\n  &quot;from&quot;: &quot;active&quot;," in page
    assert 'name="reason"' not in page
    assert client.get("/admin/marketplace/event/add/").status_code == 403
    response = client.post(f"/admin/marketplace/event/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["compliance_officer", "finance_user"])
def test_compliance_and_finance_read_events(client, request, role):
    record_event("supplier.applied", actor=None, supplier=SupplierFactory())
    client.force_login(request.getfixturevalue(role))
    assert client.get("/admin/marketplace/event/").status_code == 200
    assert client.get("/admin/marketplace/webhookendpoint/").status_code == 403


def test_the_event_list_queries_stay_constant(client, operator, django_assert_max_num_queries):
    record_event("supplier.applied", actor=operator, supplier=SupplierFactory())
    client.force_login(operator)
    with django_assert_max_num_queries(30) as few:
        assert client.get("/admin/marketplace/event/").status_code == 200
    for _ in range(10):
        record_event("supplier.applied", actor=operator, supplier=SupplierFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/admin/marketplace/event/").status_code == 200


# --- Webhook endpoints ------------------------------------------------------------------------


def test_operator_creates_an_endpoint_with_a_generated_secret(client, operator):
    integrator, _key = api_client(name="Storefront")
    client.force_login(operator)
    response = client.post(
        "/admin/marketplace/webhookendpoint/add/",
        {
            "client": integrator.pk,
            "url": "https://shop.example.com/hooks",
            "event_kinds": ["supplier.status_changed", "ledger.posted"],
            "secret": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_kinds == ["supplier.status_changed", "ledger.posted"]
    assert endpoint.secret.startswith("whsec_")
    assert len(secret_key(endpoint.secret)) == 32
    assert not endpoint.legacy_signature
    # Shown on its page, to copy to the receiver.
    page = client.get(f"/admin/marketplace/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret in page.content.decode()
    # Events of those kinds now get a delivery to it; others do not.
    supplier_suspend(SupplierFactory(status="active"), actor=operator, reason="x")
    record_event("supplier.applied", actor=None)
    assert [d.event.kind for d in WebhookDelivery.objects.filter(endpoint=endpoint)] == [
        "supplier.status_changed"
    ]


GIVEN_SECRET = "whsec_" + base64.b64encode(b"shared-with-the-receiver-32-byte").decode()


def test_an_endpoint_keeps_a_given_secret_and_refuses_non_http_urls(client, operator):
    integrator, _key = api_client()
    client.force_login(operator)
    form = {"client": integrator.pk, "secret": GIVEN_SECRET, "is_active": "on"}
    refused = client.post(
        "/admin/marketplace/webhookendpoint/add/", form | {"url": "ftp://files.example.com/x"}
    )
    assert refused.status_code == 200
    assert "url" in refused.context["adminform"].form.errors
    response = client.post(
        "/admin/marketplace/webhookendpoint/add/", form | {"url": "https://h.example.com/in"}
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == GIVEN_SECRET
    assert endpoint.event_kinds == []  # every kind


@pytest.mark.parametrize(
    "secret",
    [
        "shared-with-the-receiver",  # not whsec_
        "whsec_not base64!",
        "whsec_" + base64.b64encode(b"too short").decode(),
    ],
)
def test_a_typed_secret_must_be_a_standard_webhooks_secret(client, operator, secret):
    integrator, _key = api_client()
    client.force_login(operator)
    refused = client.post(
        "/admin/marketplace/webhookendpoint/add/",
        {"client": integrator.pk, "url": "https://h.example.com/in", "secret": secret},
    )
    assert refused.status_code == 200
    assert "secret" in refused.context["adminform"].form.errors
    assert not WebhookEndpoint.objects.exists()


def test_a_carried_over_short_secret_stays_valid_when_the_endpoint_is_edited(client, operator):
    integrator, _key = api_client()
    carried = "whsec_" + base64.b64encode(b"old").decode()
    endpoint = WebhookEndpoint.objects.create(
        client=integrator, url="https://h.example.com/in", secret=carried, legacy_signature=True
    )
    client.force_login(operator)
    response = client.post(
        f"/admin/marketplace/webhookendpoint/{endpoint.pk}/change/",
        {"client": integrator.pk, "url": "https://h.example.com/v2", "secret": carried},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.secret) == ("https://h.example.com/v2", carried)
    assert not endpoint.legacy_signature  # unticked in the form


# --- Deliveries -------------------------------------------------------------------------------


@pytest.fixture
def failed_delivery(operator):
    integrator, _key = api_client()
    endpoint = WebhookEndpoint.objects.create(
        client=integrator, url="https://down.example.com/hook", secret="s"
    )
    record_event("supplier.applied", actor=None, supplier=SupplierFactory())
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookAttempt.objects.create(delivery=delivery, status_code=503, error="HTTP 503 Busy")
    later = timezone.now() + timedelta(hours=3)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=12, next_attempt_at=later
    )
    return delivery


def test_deliveries_list_with_their_attempts_read_only(client, operator, failed_delivery):
    client.force_login(operator)
    listing = client.get("/admin/marketplace/webhookdelivery/", {"status__exact": "failed"})
    assert "down.example.com" in listing.content.decode()
    page = client.get(f"/admin/marketplace/webhookdelivery/{failed_delivery.pk}/change/")
    assert "HTTP 503 Busy" in page.content.decode()
    assert 'name="status"' not in page.content.decode()
    response = client.post(
        f"/admin/marketplace/webhookdelivery/{failed_delivery.pk}/change/", {"status": "delivered"}
    )
    assert response.status_code == 403


def test_replay_sends_a_failed_delivery_again(client, operator, failed_delivery):
    client.force_login(operator)
    response = client.post(
        "/admin/marketplace/webhookdelivery/",
        {"action": "replay_deliveries", "_selected_action": [failed_delivery.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["1 delivery will be sent again."]
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "pending"
    assert failed_delivery.next_attempt_at <= timezone.now()
    # The attempt log is kept.
    assert failed_delivery.attempt_log.count() == 1


def test_compliance_cannot_replay(client, compliance_officer, failed_delivery):
    client.force_login(compliance_officer)
    client.post(
        "/admin/marketplace/webhookdelivery/",
        {"action": "replay_deliveries", "_selected_action": [failed_delivery.pk]},
    )
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "failed"


def test_the_delivery_list_queries_stay_constant(
    client, operator, failed_delivery, django_assert_max_num_queries
):
    client.force_login(operator)
    with django_assert_max_num_queries(30) as few:
        assert client.get("/admin/marketplace/webhookdelivery/").status_code == 200
    for n in range(5):
        integrator, _key = api_client(name=f"client {n}")
        WebhookEndpoint.objects.create(client=integrator, url=f"https://h{n}.test/", secret="s")
    for _ in range(3):
        record_event("supplier.applied", actor=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/admin/marketplace/webhookdelivery/").status_code == 200


# --- Periodic jobs ----------------------------------------------------------------------------


@pytest.fixture
def job():
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    return PeriodicTask.objects.create(
        name="test-sweep", task="marketplace.tasks.dispatch_webhooks", interval=every_minute
    )


def change_job(client, job, **fields):
    form = {
        "name": job.name,
        "task": job.task,
        "enabled": "on",
        "description": "",
        "interval": job.interval_id,
        "crontab": "",
        "solar": "",
        "clocked": "",
        "start_time_0": "",
        "start_time_1": "",
        "expires_0": "",
        "expires_1": "",
        "expire_seconds": "",
        "args": "[]",
        "kwargs": "{}",
        "queue": "",
        "exchange": "",
        "routing_key": "",
        "priority": "",
        "headers": "{}",
    }
    form.update(fields)
    return client.post(
        f"/admin/django_celery_beat/periodictask/{job.pk}/change/",
        {name: value for name, value in form.items() if value is not None},
    )


def test_an_operator_can_disable_and_retime_a_job_but_not_change_what_it_runs(
    client, operator, job
):
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    client.force_login(operator)
    page = client.get(f"/admin/django_celery_beat/periodictask/{job.pk}/change/").content
    assert b'name="task"' not in page
    assert b'name="regtask"' not in page
    assert b'name="enabled"' in page
    response = change_job(
        client,
        job,
        enabled=None,  # unticked
        interval=hourly.pk,
        task="accounts.tasks.something_else",
        args='["rm -rf"]',
        queue="other",
        name="renamed",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    job.refresh_from_db()
    assert (job.enabled, job.interval) == (False, hourly)
    assert (job.task, job.args, job.queue, job.name) == (
        "marketplace.tasks.dispatch_webhooks",
        "[]",
        None,
        "test-sweep",
    )


def test_a_superuser_can_change_the_task(client, admin_user, job):
    client.force_login(admin_user)
    response = change_job(client, job, task="marketplace.tasks.clear_expired_sessions")
    assert response.status_code == 302, response.content.decode()[:3000]
    job.refresh_from_db()
    assert job.task == "marketplace.tasks.clear_expired_sessions"
