"""The delivery target's job: parcels picked up more than DELIVERY_TARGET_DAYS ago and neither
delivered nor returned are flagged once, with one parcel.late each; a re-run does nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from marketplace.models import Event
from marketplace.schedule import PERIODIC_JOBS
from shipping.models import Parcel
from shipping.selectors.late import late_parcels
from shipping.services.late import parcels_flag_late
from shipping.tasks import parcels_flag_late_task
from tests.factories.shipping import parcel

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def test_parcels_past_the_target_are_flagged_once_with_an_event():
    now = timezone.now()
    target = timedelta(days=settings.DELIVERY_TARGET_DAYS)
    late = parcel(status=Parcel.Status.ARRIVED_DESTINATION, picked_up_at=now - target - DAY)
    late_exception = parcel(status=Parcel.Status.EXCEPTION, picked_up_at=now - target - 3 * DAY)
    in_time = parcel(status=Parcel.Status.PICKED_UP, picked_up_at=now - target + DAY)
    delivered = parcel(
        status=Parcel.Status.DELIVERED, picked_up_at=now - 20 * DAY, delivered_at=now - DAY
    )
    returned = parcel(status=Parcel.Status.RETURNED, picked_up_at=now - 20 * DAY)
    never_picked_up = parcel(status=Parcel.Status.CREATED, created_at=now - 30 * DAY)

    assert parcels_flag_late(now=now) == 2
    flagged = set(Parcel.objects.filter(late_flagged_at=now).values_list("pk", flat=True))
    assert flagged == {late.pk, late_exception.pk}
    for other in (in_time, delivered, returned, never_picked_up):
        other.refresh_from_db()
        assert other.late_flagged_at is None
    events = Event.objects.filter(kind="parcel.late").order_by("subject_id")
    assert [(e.subject_id, e.supplier_id) for e in events] == sorted(
        [(str(late.pk), late.supplier_id), (str(late_exception.pk), late_exception.supplier_id)]
    )
    event = events.get(subject_id=str(late.pk))
    assert event.payload == {
        "tracking_number": late.tracking_number,
        "picked_up_at": late.picked_up_at.isoformat(),
        "days": settings.DELIVERY_TARGET_DAYS,
    }

    # Again, later: nothing new, the first flag's time kept.
    assert parcels_flag_late(now=now + DAY) == 0
    assert Event.objects.filter(kind="parcel.late").count() == 2
    late.refresh_from_db()
    assert late.late_flagged_at == now


def test_the_queue_holds_flagged_parcels_until_they_arrive():
    now = timezone.now()
    stuck = parcel(status=Parcel.Status.CUSTOMS_CLEARED, picked_up_at=now - 15 * DAY)
    parcels_flag_late(now=now)
    assert list(late_parcels()) == [stuck]
    Parcel.objects.filter(pk=stuck.pk).update(status=Parcel.Status.DELIVERED, delivered_at=now)
    assert list(late_parcels()) == []
    stuck.refresh_from_db()
    assert stuck.late_flagged_at == now  # it was late: the flag's time stays


def test_a_backlog_larger_than_a_batch_is_flagged_in_steps(monkeypatch):
    from shipping.services import late

    monkeypatch.setattr(late, "BATCH", 2)
    now = timezone.now()
    for _ in range(5):
        parcel(status=Parcel.Status.PICKED_UP, picked_up_at=now - 13 * DAY)
    assert parcels_flag_late(now=now) == 5
    assert not Parcel.objects.filter(late_flagged_at__isnull=True).exists()


def test_the_hourly_task_runs_the_job():
    parcel(status=Parcel.Status.PICKED_UP, picked_up_at=timezone.now() - 13 * DAY)
    assert parcels_flag_late_task() == "1 parcels flagged late"
    assert parcels_flag_late_task() == "0 parcels flagged late"
    [job] = [job for job in PERIODIC_JOBS if job.task == "shipping.tasks.parcels_flag_late_task"]
    assert job.every == timedelta(hours=1)
