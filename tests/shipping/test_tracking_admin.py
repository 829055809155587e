"""Carriers' tracking events in the admin: read-only, found by tracking number or event id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shipping.services.tracking import TrackingInput, tracking_record
from tests.factories.accounts import UserFactory
from tests.factories.shipping import parcel

pytestmark = pytest.mark.django_db

URL = "/admin/shipping/trackingevent/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_events_are_listed_searched_and_never_edited(admin_client):
    first, second = parcel(tracking_number="LMU0000000101"), parcel(tracking_number="LMU0000000102")
    at = datetime(2026, 11, 2, 3, tzinfo=UTC)
    tracking_record(
        [
            TrackingInput("LMU0000000101", "evt-1", "picked_up", at, location="Shenzhen"),
            TrackingInput("LMU0000000102", "evt-2", "exception", at, note="Address unknown"),
        ]
    )
    page = admin_client.get(URL).content.decode()
    assert "evt-1" in page
    assert "evt-2" in page
    by_number = admin_client.get(URL, {"q": "LMU0000000102"}).content.decode()
    assert "evt-2" in by_number
    assert "evt-1" not in by_number
    by_id = admin_client.get(URL, {"q": "evt-1"}).content.decode()
    assert "evt-1" in by_id
    assert "evt-2" not in by_id
    event = first.events.get()
    detail = admin_client.get(f"{URL}{event.pk}/change/")
    assert detail.status_code == 200
    assert "Shenzhen" in detail.content.decode()
    assert admin_client.get(f"{URL}add/").status_code == 403
    assert admin_client.post(f"{URL}{event.pk}/delete/").status_code == 403
    assert second.events.count() == 1
