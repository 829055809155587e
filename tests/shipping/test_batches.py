"""Air freight batches: opened with a valid master air waybill from a hub for the market's
partner; eligible parcels only join; the departure re-gates every parcel (the refused leave for
the hold queue), records `departed_origin` at the departure time and `parcel.shipped`; the
arrival records `arrived_destination`. Bad input names its field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from logistics.models import Warehouse
from marketplace.errors import DomainError
from marketplace.models import Event
from shipping.models import AirFreightBatch, Parcel, TrackingEvent
from shipping.services.batches import (
    batch_add_parcels,
    batch_arrive,
    batch_create,
    batch_depart,
)
from tests.factories.logistics import WarehouseFactory
from tests.factories.shipping import LastMilePartnerFactory, consumer_order, parcel

from .support import hold

pytestmark = pytest.mark.django_db


def open_batch(**fields: object) -> AirFreightBatch:
    values: dict[str, object] = {
        "master_air_waybill": "176 12345675",
        "flight_number": "cz 327",
        "origin_hub": WarehouseFactory(kind=Warehouse.Kind.HUB),
        "market": "US",
        "last_mile": LastMilePartnerFactory(market="US"),
        "planned_departure": timezone.now() + timedelta(hours=6),
        "actor": None,
        **fields,
    }
    return batch_create(**values)  # type: ignore[arg-type]


def test_a_batch_is_opened_with_its_waybill_normalised():
    batch = open_batch()
    assert (batch.master_air_waybill, batch.flight_number) == ("176-12345675", "CZ327")
    assert batch.status == AirFreightBatch.Status.OPEN
    with pytest.raises(DomainError) as error:
        open_batch()
    assert error.value.code == "duplicate_master_air_waybill"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"master_air_waybill": "17-12345675"}, "master_air_waybill"),
        ({"master_air_waybill": "176-1234567"}, "master_air_waybill"),
        ({"flight_number": "CZ"}, "flight_number"),
        ({"market": "XX"}, "market"),
    ],
)
def test_bad_input_names_its_field(fields, field):
    with pytest.raises(DomainError) as error:
        open_batch(**fields)
    assert list(error.value.fields) == [field]
    assert not AirFreightBatch.objects.exists()


def test_the_hub_and_the_partner_must_fit():
    with pytest.raises(DomainError) as error:
        open_batch(origin_hub=WarehouseFactory(kind=Warehouse.Kind.OVERSEAS))
    assert list(error.value.fields) == ["origin_hub"]
    with pytest.raises(DomainError) as error:
        open_batch(last_mile=LastMilePartnerFactory(market="UK"))
    assert list(error.value.fields) == ["last_mile"]


def test_only_eligible_parcels_join():
    batch = open_batch()
    ok = parcel()
    held = parcel(held_at=timezone.now())
    uk = parcel(consumer_order(market="UK"))
    left = parcel(status=Parcel.Status.DEPARTED_ORIGIN)
    added = batch_add_parcels(batch, Parcel.objects.all(), actor=None)
    assert added == 1
    assert list(Parcel.objects.filter(batch=batch)) == [ok]
    ok.refresh_from_db()
    assert ok.last_mile == batch.last_mile
    assert all(p.batch_id is None for p in Parcel.objects.filter(pk__in=[held.pk, uk.pk, left.pk]))


def test_the_departure_regates_and_records_the_departure_time():
    batch = open_batch()
    fine, refused = parcel(), parcel()
    batch_add_parcels(batch, Parcel.objects.all(), actor=None)
    hold(refused.listing)
    at = timezone.now() - timedelta(hours=1)
    departed = batch_depart(batch, actor=None, departed_at=at)
    assert departed.status == AirFreightBatch.Status.DEPARTED
    assert departed.departed_at == at
    fine.refresh_from_db()
    refused.refresh_from_db()
    assert fine.status == Parcel.Status.DEPARTED_ORIGIN
    assert fine.departed_origin_at == at
    assert refused.batch_id is None
    assert refused.held_at is not None
    assert refused.status == Parcel.Status.CREATED
    assert not TrackingEvent.objects.filter(parcel=refused).exists()
    shipped = Event.objects.filter(kind="parcel.shipped")
    assert [e.subject_id for e in shipped] == [str(fine.pk)]
    assert shipped[0].payload["batch"] == batch.pk
    # Again: nothing more.
    batch_depart(batch, actor=None)
    assert Event.objects.filter(kind="parcel.shipped").count() == 1
    arrived = batch_arrive(batch, actor=None, arrived_at=at + timedelta(minutes=50))
    assert arrived.status == AirFreightBatch.Status.ARRIVED
    fine.refresh_from_db()
    assert fine.status == Parcel.Status.ARRIVED_DESTINATION


def test_an_empty_batch_does_not_leave_and_an_open_one_does_not_arrive():
    batch = open_batch()
    with pytest.raises(DomainError) as error:
        batch_depart(batch, actor=None)
    assert error.value.code == "batch_empty"
    with pytest.raises(DomainError) as error:
        batch_arrive(batch, actor=None)
    assert error.value.code == "invalid_transition"


def test_a_departure_in_the_future_is_refused_naming_its_field():
    batch = open_batch()
    parcel()
    batch_add_parcels(batch, Parcel.objects.all(), actor=None)
    with pytest.raises(DomainError) as error:
        batch_depart(batch, actor=None, departed_at=timezone.now() + timedelta(hours=2))
    assert list(error.value.fields) == ["departed_at"]
    batch.refresh_from_db()
    assert batch.status == AirFreightBatch.Status.OPEN


def test_a_batch_larger_than_a_tracking_request_departs_whole(settings):
    settings.TRACKING_BATCH_MAX = 2
    batch = open_batch()
    for _ in range(5):
        parcel()
    batch_add_parcels(batch, Parcel.objects.all(), actor=None)
    batch_depart(batch, actor=None)
    assert Parcel.objects.filter(status=Parcel.Status.DEPARTED_ORIGIN).count() == 5
