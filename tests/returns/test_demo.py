"""seed_demo's returns: one inspected (a chargeback the supplier may appeal, a unit restocked at
the US return centre), refunded and closed; one waiting for authorisation; one on its way back; the
return-rate job run after them (figures and a warning); once only."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from catalogue.models import ListingReturnRate
from logistics.models import StockMovement
from returns.models import Chargeback, ReturnRateBreach, ReturnRequest
from shipping.models import TrackingEvent

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_the_demo_returns_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DEMO_DATA", "true")
    target = tmp_path / "c.json"
    call_command("seed_demo", credentials_file=str(target), verbosity=0)
    returns = {r.external_id: r for r in ReturnRequest.objects.all()}
    assert set(returns) == {"DEMO-RETURN-0001", "DEMO-RETURN-0002", "DEMO-RETURN-0003"}
    assert returns["DEMO-RETURN-0001"].status == ReturnRequest.Status.CLOSED
    assert returns["DEMO-RETURN-0002"].status == ReturnRequest.Status.REQUESTED
    # Open and on its way: the operator has a return to receive and inspect.
    on_its_way = returns["DEMO-RETURN-0003"]
    assert on_its_way.status == ReturnRequest.Status.OPEN
    assert on_its_way.received_at is None
    # Every demo parcel a return came from was delivered by its carrier's events, after it was
    # made, its milestones in order.
    for found in returns.values():
        parcel = found.parcel
        times = [
            parcel.created_at,
            parcel.picked_up_at,
            parcel.departed_origin_at,
            parcel.arrived_destination_at,
            parcel.customs_cleared_at,
            parcel.out_for_delivery_at,
            parcel.delivered_at,
        ]
        assert None not in times
        assert times == sorted(times)
        assert TrackingEvent.objects.filter(parcel=parcel).count() == 6
    # The return-rate job ran after them: the tiles have figures and a warning.
    listing = returns["DEMO-RETURN-0001"].listing
    rate = ListingReturnRate.objects.get(listing=listing)
    assert (rate.units_sold, rate.units_returned) == (25, 3)
    [breach] = ReturnRateBreach.objects.filter(listing=listing)
    assert breach.level == ReturnRateBreach.Level.WARNING
    chargeback = Chargeback.objects.get()
    assert chargeback.status == Chargeback.Status.STANDING
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).count() == 1
    call_command("seed_demo", credentials_file=str(target), verbosity=0)
    assert ReturnRequest.objects.count() == 3
    assert ReturnRateBreach.objects.count() == 1
