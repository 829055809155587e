"""The demo's parcels (shipping/demo.py through seed_demo): a last-mile partner in every market,
a departed batch and an open one, a held parcel with its reasons, a parcel the seller shipped and
two it has to ship; seeding again adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from marketplace.markets import Market
from shipping.models import AirFreightBatch, LastMilePartner, Parcel, TrackingEvent

MILESTONES = (
    "picked_up",
    "departed_origin",
    "arrived_destination",
    "customs_cleared",
    "out_for_delivery",
    "delivered",
)

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (LastMilePartner, AirFreightBatch, Parcel, TrackingEvent)
    )


def test_the_demo_has_parcels_in_several_states(monkeypatch, tmp_path):
    monkeypatch.setenv("DEMO_DATA", "true")
    target = str(tmp_path / "demo_credentials.json")
    call_command("seed_demo", credentials_file=target, verbosity=0)
    first = counts()
    call_command("seed_demo", credentials_file=target, verbosity=0)
    assert counts() == first
    assert set(LastMilePartner.objects.values_list("market", flat=True)) == set(Market.values)
    statuses = dict(AirFreightBatch.objects.values_list("status", "master_air_waybill"))
    assert set(statuses) == {"open", "departed"}
    platform = Parcel.objects.filter(mode=Parcel.Mode.PLATFORM)
    assert platform.filter(status=Parcel.Status.DEPARTED_ORIGIN).count() == 2
    [held] = platform.filter(held_at__isnull=False)
    assert held.market == "CA"
    assert [r["code"] for r in held.hold_reasons] == ["market_hold"]
    seller = Parcel.objects.filter(mode=Parcel.Mode.SELLER)
    assert seller.filter(status=Parcel.Status.PICKED_UP).count() == 1
    assert seller.filter(status=Parcel.Status.CREATED, tracking_number="").count() == 2
    # Every demo parcel was made before its first milestone: its page reads in order.
    for parcel in Parcel.objects.all():
        times = [getattr(parcel, f"{code}_at") for code in MILESTONES]
        reached = [t for t in times if t is not None]
        assert reached == sorted(reached), parcel.pk
        assert all(parcel.created_at <= t for t in reached), parcel.pk
