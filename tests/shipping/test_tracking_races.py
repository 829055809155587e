"""Two carriers' batches for the same parcel at the same moment (PostgreSQL, real threads): the
second waits for the first and recomputes the parcel from both batches' events, never from its
own alone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from marketplace.models import Event
from shipping.services.tracking import TrackingInput, tracking_record
from tests.concurrency import run_together, wait_until_blocked
from tests.factories.shipping import parcel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)


def test_a_batch_racing_another_for_one_parcel_sees_its_events():
    target = parcel(tracking_number="LMU0000000777")
    first_written = threading.Event()

    def first() -> None:
        with transaction.atomic():
            tracking_record([TrackingInput("LMU0000000777", "a", "picked_up", T0)])
            first_written.set()
            wait_until_blocked(1)  # the second batch waits for this one's commit

    def second() -> None:
        assert first_written.wait(10)
        tracking_record(
            [TrackingInput("LMU0000000777", "b", "delivered", T0 + timedelta(hours=100))]
        )

    outcome = run_together(first, second)
    assert outcome.errors == []
    target.refresh_from_db()
    assert (target.status, target.picked_up_at, target.delivered_at) == (
        "delivered",
        T0,
        T0 + timedelta(hours=100),
    )
    moves = Event.objects.filter(kind__startswith="parcel.").order_by("id")
    assert [(e.payload["from"], e.payload["to"]) for e in moves] == [
        ("created", "picked_up"),
        ("picked_up", "delivered"),
    ]
