"""POST /api/v1/tracking-events/: carriers' events in bulk. A batch out of shape is refused
whole with the field at fault named by its place, nothing applied; unknown tracking numbers are
reported and the rest applied; a repeat changes nothing; only `tracking:write` may post."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.models import Event
from shipping.models import Parcel, TrackingEvent
from tests.api_support import assert_error, bearer
from tests.factories.accounts import api_client, supplier_token
from tests.factories.shipping import parcel
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/tracking-events/"
T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def scan(number: str, event_id: str, code: str, hours: float, **more: str) -> dict[str, Any]:
    return {
        "tracking_number": number,
        "event_id": event_id,
        "code": code,
        "occurred_at": at(hours),
        **more,
    }


@pytest.fixture
def carrier():
    _client, plain = api_client(scopes=["tracking:write"], name="Last mile carrier")
    return bearer(plain)


@pytest.fixture
def parcels() -> tuple[Parcel, Parcel]:
    return parcel(tracking_number="LMU0000000001"), parcel(tracking_number="LMU0000000002")


def _nothing_applied(*targets: Parcel) -> None:
    assert not TrackingEvent.objects.exists()
    assert not Event.objects.filter(kind__startswith="parcel.").exists()
    for target in targets:
        target.refresh_from_db()
        assert target.status == Parcel.Status.CREATED
        assert target.picked_up_at is None


def test_a_batch_moves_each_parcel_to_its_furthest_milestone(carrier, parcels):
    first, second = parcels
    body = {
        "events": [
            scan("LMU0000000001", "e1", "picked_up", 0, location="Shenzhen hub"),
            scan("LMU0000000001", "e2", "departed_origin", 20),
            scan("lmu0000000002", "e3", "picked_up", 2),  # case does not matter
            scan("LMU0000000001", "e4", "delivered", 200),
            scan("LMU0000000002", "e5", "exception", 30, note="Address unknown"),
        ]
    }
    response = carrier.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"applied": 5, "duplicates": 0, "parcels_changed": 2, "unknown": []}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.picked_up_at, first.delivered_at) == (
        "delivered",
        T0,
        T0 + timedelta(hours=200),
    )
    assert (second.status, second.exception_note) == ("exception", "Address unknown")
    assert first.events.get(external_id="e1").location == "Shenzhen hub"
    events = {e.kind: e for e in Event.objects.filter(kind__startswith="parcel.")}
    assert set(events) == {"parcel.delivered", "parcel.exception"}
    delivered = events["parcel.delivered"]
    assert delivered.supplier_id == first.supplier_id
    assert delivered.subject_id == str(first.pk)
    assert delivered.payload == {
        "tracking_number": "LMU0000000001",
        "from": "created",
        "to": "delivered",
        "at": at(200),
    }
    assert events["parcel.exception"].reason == "Address unknown"


def test_unknown_tracking_numbers_are_reported_by_place_and_the_rest_applied(carrier, parcels):
    first, _second = parcels
    body = {
        "events": [
            scan("NOSUCH00001", "x1", "picked_up", 0),
            scan("LMU0000000001", "e1", "picked_up", 0),
            scan("NOSUCH00002", "x2", "delivered", 9),
        ]
    }
    response = carrier.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "applied": 1,
        "duplicates": 0,
        "parcels_changed": 1,
        "unknown": [
            {"index": 0, "tracking_number": "NOSUCH00001"},
            {"index": 2, "tracking_number": "NOSUCH00002"},
        ],
    }
    first.refresh_from_db()
    assert first.status == "picked_up"
    assert TrackingEvent.objects.count() == 1


def test_a_repeated_request_changes_nothing(carrier, parcels):
    body = {
        "events": [
            scan("LMU0000000001", "e1", "picked_up", 0),
            scan("LMU0000000001", "e1", "picked_up", 0),  # twice in the batch too
            scan("LMU0000000002", "e2", "out_for_delivery", 50),
        ]
    }
    first = carrier.post(URL, body, format="json").json()
    assert (first["applied"], first["duplicates"], first["parcels_changed"]) == (2, 1, 2)
    states = list(Parcel.objects.order_by("pk").values())
    events = Event.objects.count()
    again = carrier.post(URL, body, format="json")
    assert again.status_code == 200
    assert again.json() == {"applied": 0, "duplicates": 3, "parcels_changed": 0, "unknown": []}
    assert list(Parcel.objects.order_by("pk").values()) == states
    assert Event.objects.count() == events
    assert TrackingEvent.objects.count() == 2


def test_events_arriving_late_and_out_of_order_give_the_same_state(carrier, parcels):
    first, _second = parcels
    for batch in (
        [scan("LMU0000000001", "d", "delivered", 200)],
        [scan("LMU0000000001", "x", "exception", 250, note="Damaged")],  # after delivery
        [
            scan("LMU0000000001", "o", "out_for_delivery", 190),
            scan("LMU0000000001", "p", "picked_up", 0),
        ],
        [scan("LMU0000000001", "p2", "picked_up", -5)],  # an earlier pickup scan
    ):
        assert carrier.post(URL, {"events": batch}, format="json").status_code == 200
    first.refresh_from_db()
    assert first.status == "delivered"
    assert first.picked_up_at == T0 - timedelta(hours=5)
    assert first.out_for_delivery_at == T0 + timedelta(hours=190)
    assert first.exception_at == T0 + timedelta(hours=250)
    # Only the move to delivered was a status change.
    assert list(
        Event.objects.filter(kind__startswith="parcel.").values_list("kind", flat=True)
    ) == ["parcel.delivered"]


def _bad(change: str) -> dict[str, Any]:
    """A batch of three good events whose middle one is made wrong by `change`."""
    events = [
        scan("LMU0000000001", "e1", "picked_up", 0),
        scan("LMU0000000002", "e2", "picked_up", 1),
        scan("LMU0000000001", "e3", "departed_origin", 20),
    ]
    middle = events[1]
    future = (timezone.now() + timedelta(seconds=settings.SCAN_CLOCK_SKEW_SECONDS + 60)).isoformat()
    changes = {
        "unknown code": lambda: middle.update(code="lost_in_space"),
        "code missing": lambda: middle.pop("code"),
        "time missing": lambda: middle.pop("occurred_at"),
        "tracking number missing": lambda: middle.pop("tracking_number"),
        "event id missing": lambda: middle.pop("event_id"),
        "naive time": lambda: middle.update(occurred_at="2026-11-01T08:00:00"),
        "a date only": lambda: middle.update(occurred_at="2026-11-01"),
        "not a time": lambda: middle.update(occurred_at="yesterday"),
        "a number for a time": lambda: middle.update(occurred_at=1700000000),
        "future time": lambda: middle.update(occurred_at=future),
        "malformed tracking number": lambda: middle.update(tracking_number="LMU 0001!"),
        "short tracking number": lambda: middle.update(tracking_number="LM1"),
        "long tracking number": lambda: middle.update(tracking_number="L" * 41),
        "malformed event id": lambda: middle.update(event_id="evt 1"),
        "non-ASCII event id": lambda: middle.update(event_id="事件1"),
        "empty event id": lambda: middle.update(event_id=""),
        "long event id": lambda: middle.update(event_id="e" * 65),
        "long location": lambda: middle.update(location="x" * 121),
        "long note": lambda: middle.update(note="x" * 301),
        "an event not an object": lambda: events.__setitem__(1, "picked_up"),
    }
    changes[change]()
    return {"events": events}


BAD_EVENTS = {
    "unknown code": (400, "invalid", "events[1].code"),
    "code missing": (400, "invalid", "events[1].code"),
    "time missing": (400, "invalid", "events[1].occurred_at"),
    "tracking number missing": (400, "invalid", "events[1].tracking_number"),
    "event id missing": (400, "invalid", "events[1].event_id"),
    "naive time": (400, "invalid", "events[1].occurred_at"),
    "a date only": (400, "invalid", "events[1].occurred_at"),
    "not a time": (400, "invalid", "events[1].occurred_at"),
    "a number for a time": (400, "invalid", "events[1].occurred_at"),
    "future time": (422, "occurred_in_future", "events[1].occurred_at"),
    "malformed tracking number": (400, "invalid", "events[1].tracking_number"),
    "short tracking number": (400, "invalid", "events[1].tracking_number"),
    "long tracking number": (400, "invalid", "events[1].tracking_number"),
    "malformed event id": (400, "invalid", "events[1].event_id"),
    "non-ASCII event id": (400, "invalid", "events[1].event_id"),
    "empty event id": (400, "invalid", "events[1].event_id"),
    "long event id": (400, "invalid", "events[1].event_id"),
    "long location": (400, "invalid", "events[1].location"),
    "long note": (400, "invalid", "events[1].note"),
    "an event not an object": (400, "invalid", "events[1]"),
}


@pytest.mark.parametrize("change", list(BAD_EVENTS))
def test_an_event_out_of_shape_refuses_the_whole_batch_naming_it(carrier, parcels, change):
    status, code, field = BAD_EVENTS[change]
    body = assert_error(carrier.post(URL, _bad(change), format="json"), status, code)
    assert list(body["fields"]) == [field], body
    _nothing_applied(*parcels)


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {},
        {"events": "picked_up"},
        {"events": None},
        {"events": [scan("LMU0000000001", f"e{i}", "picked_up", 0) for i in range(1001)]},
    ],
    ids=["empty", "missing", "not a list", "null", "over the limit"],
)
def test_a_batch_out_of_shape_is_refused_naming_events(carrier, parcels, body):
    response = carrier.post(URL, body, format="json")
    assert list(assert_error(response, 400, "invalid")["fields"]) == ["events"]
    _nothing_applied(*parcels)


def test_every_event_at_fault_is_named(carrier, parcels):
    body = _bad("unknown code")
    body["events"][2]["event_id"] = "bad id"
    fields = assert_error(carrier.post(URL, body, format="json"), 400, "invalid")["fields"]
    assert set(fields) == {"events[1].code", "events[2].event_id"}


def test_a_batch_of_the_limit_is_taken(carrier, parcels):
    events = [
        scan(f"LMU000000000{1 + i % 2}", f"e{i}", "picked_up", i / 100)
        for i in range(settings.TRACKING_BATCH_MAX)
    ]
    response = carrier.post(URL, {"events": events}, format="json")
    assert response.status_code == 200
    assert response.json()["applied"] == settings.TRACKING_BATCH_MAX


def test_the_queries_do_not_grow_with_the_batch(carrier):
    def count(n: int, tag: str) -> int:
        numbers = [f"Q{tag}{i:08d}" for i in range(n)]
        for number in numbers:
            parcel(tracking_number=number)
        events = [scan(number, f"{tag}{i}", "picked_up", 0) for i, number in enumerate(numbers)]
        events += [scan(number, f"{tag}x{i}", "exception", 5) for i, number in enumerate(numbers)]
        with CaptureQueriesContext(connection) as queries:
            assert carrier.post(URL, {"events": events}, format="json").status_code == 200
        return len(queries.captured_queries)

    count(1, "W")  # warm the caches (content types, the key's client)
    assert count(2, "A") == count(20, "B")


@pytest.mark.parametrize("who", ["supplier", "storefront", "reader", "lab"])
def test_only_tracking_write_may_post(client, parcels, who):
    if who == "supplier":
        member = MembershipFactory(supplier=parcels[0].supplier, role="owner").user
        caller = bearer(supplier_token(member))
    else:
        scopes = {
            "storefront": ["read", "orders:write"],
            "reader": ["read"],
            "lab": ["read", "labs:write"],
        }[who]
        caller = bearer(api_client(scopes=scopes, name=f"Client {who}")[1])
    body = {"events": [scan("LMU0000000001", "e1", "picked_up", 0)]}
    body_before = copy.deepcopy(body)
    response = caller.post(URL, body, format="json")
    assert "`tracking:write`" in assert_error(response, 403, "permission_denied")["message"]
    assert body == body_before
    _nothing_applied(*parcels)


def test_without_a_key_is_401(client, parcels):
    response = client.post(URL, {"events": []}, content_type="application/json")
    assert response.status_code == 401


def test_the_parcel_events_reach_the_webhooks_that_want_them(carrier, parcels):
    from marketplace.models import WebhookDelivery, WebhookEndpoint

    storefront = api_client(scopes=["read"], name="Storefront hooks")[0]
    every = WebhookEndpoint.objects.create(client=storefront, url="https://a.example.com/hook")
    delivered_only = WebhookEndpoint.objects.create(
        client=storefront, url="https://b.example.com/hook", event_kinds=["parcel.delivered"]
    )
    body = {
        "events": [
            scan("LMU0000000001", "e1", "delivered", 100),
            scan("LMU0000000002", "e2", "picked_up", 0),
        ]
    }
    assert carrier.post(URL, body, format="json").status_code == 200
    deliveries = set(WebhookDelivery.objects.values_list("endpoint_id", "event__kind", "status"))
    assert deliveries == {
        (every.pk, "parcel.delivered", "pending"),
        (every.pk, "parcel.picked_up", "pending"),
        (delivered_only.pk, "parcel.delivered", "pending"),
    }
    event = Event.objects.get(kind="parcel.picked_up")
    assert (event.subject, event.actor.api_client.name) == (parcels[1], "Last mile carrier")
