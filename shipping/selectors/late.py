"""Parcels past the delivery target (SPEC, "Outbound parcels": delivered within 7-12 days; past
12 days since pickup, flagged).

A parcel is *due to be flagged* when it was picked up more than DELIVERY_TARGET_DAYS ago, is
neither delivered nor returned to its sender, and has not been flagged yet. It is *late* (the
operators' queue, the API's filter) while it is flagged and still neither delivered nor
returned: a late parcel delivered afterwards keeps its flag's time, and leaves the queue."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from ..models import Parcel

ARRIVED = (Parcel.Status.DELIVERED, Parcel.Status.RETURNED)

# The operators' queue of late parcels.
LATE = Q(late_flagged_at__isnull=False) & ~Q(status__in=ARRIVED)


def target_passed_before(now: datetime) -> datetime:
    """Parcels picked up before this moment have had their DELIVERY_TARGET_DAYS."""
    return now - timedelta(days=settings.DELIVERY_TARGET_DAYS)


def parcels_due_late_flag(now: datetime) -> QuerySet[Parcel]:
    return Parcel.objects.filter(
        picked_up_at__lt=target_passed_before(now), late_flagged_at__isnull=True
    ).exclude(status__in=ARRIVED)


def late_parcels() -> QuerySet[Parcel]:
    return Parcel.objects.filter(LATE)
