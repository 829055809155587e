"""Regressions found in review: each once demonstrated a defect; now the right behaviour."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from logistics.models import Inspection, OverstockOffer, PickupCluster, PickupSlot, StockLot
from logistics.services.inbound.inspection import line_inspect
from logistics.services.inbound.notices import LineIn, inbound_create
from logistics.services.inbound.pickups import pickup_assign
from logistics.services.inbound.receiving import line_count
from logistics.services.inbound.shipments import inbound_transition
from logistics.services.inbound.stocking import stocking_order_accept, stocking_order_issue
from logistics.services.overstock import offer_overstock, overstock_leave, overstock_take_back
from marketplace.errors import DomainError
from suppliers.models import Factory
from tests.factories.accounts import supplier_token
from tests.factories.logistics import (
    WarehouseFactory,
    member_of,
    operator,
    position_of,
    receive_stock,
    shipment_for,
    stocked_listing,
)

pytestmark = pytest.mark.django_db


def test_a_taken_back_offer_empties_its_own_lot_not_the_oldest():
    hub = WarehouseFactory()
    listing = stocked_listing(10, warehouse=hub)
    receive_stock(listing, 10, warehouse=hub)
    lot_a, lot_b = StockLot.objects.filter(position__listing=listing).order_by("pk")
    now = timezone.now()
    StockLot.objects.filter(pk=lot_a.pk).update(received_at=now - timedelta(days=120))
    StockLot.objects.filter(pk=lot_b.pk).update(received_at=now - timedelta(days=100))
    assert offer_overstock() == 2
    member = member_of(listing)
    overstock_leave(OverstockOffer.objects.get(lot=lot_a), actor=member)
    overstock_take_back(OverstockOffer.objects.get(lot=lot_b), actor=member)
    lot_a.refresh_from_db()
    lot_b.refresh_from_db()
    assert (lot_a.remaining, lot_b.remaining) == (10, 0)
    assert position_of(listing).on_hand == 10


def test_an_inspected_line_cannot_be_recounted():
    listing = stocked_listing()
    line = shipment_for(listing, 20).lines.get()
    staff = operator()
    line_count(line, received=20, damaged=0, actor=staff)
    line_inspect(line, defects=0, actor=staff)
    with pytest.raises(DomainError) as refused:
        line_count(line, received=5, damaged=5, actor=staff)
    assert refused.value.code == "already_inspected"
    line.refresh_from_db()
    assert line.sound == Inspection.objects.get(line=line).lot_size == 20


def test_lots_of_a_shipment_marked_received_can_still_be_inspected_then_closed():
    listing = stocked_listing()
    shipment = shipment_for(listing, 20)
    line = shipment.lines.get()
    staff = operator()
    line_count(line, received=20, damaged=0, actor=staff)
    inbound_transition(shipment, "received", actor=staff)
    line_inspect(line, defects=0, actor=staff)
    inbound_transition(shipment, "closed", actor=staff)
    assert position_of(listing).on_hand == 20


def test_shipments_declare_no_more_than_the_stocking_order_asks(settings):
    settings.STOCKING_CAP_UNITS = 30
    listing = stocked_listing(new=True)
    order = stocking_order_issue(listing, quantity=30, warehouse=WarehouseFactory(), actor=None)
    member = member_of(listing)
    stocking_order_accept(order, actor=member)
    inbound_create(order, actor=member, lines=[LineIn(listing.pk, 20)], carrier="SF", waybill="1")
    with pytest.raises(DomainError) as refused:
        inbound_create(
            order, actor=member, lines=[LineIn(listing.pk, 11)], carrier="SF", waybill="2"
        )
    assert list(refused.value.fields) == ["lines[0].declared"]
    inbound_create(order, actor=member, lines=[LineIn(listing.pk, 10)], carrier="SF", waybill="3")


def test_pickups_only_for_open_shipments_and_their_warehouse():
    listing = stocked_listing()
    order = stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=None)
    member = member_of(listing)
    stocking_order_accept(order, actor=member)
    cluster = PickupCluster.objects.create(name="Yiwu", province="Zhejiang")
    Factory.objects.filter(supplier=listing.supplier).update(industrial_cluster="Yiwu")
    shipment = inbound_create(order, actor=member, pickup=True)
    tomorrow = timezone.localdate() + timedelta(days=1)
    elsewhere = PickupSlot.objects.create(
        cluster=cluster, date=tomorrow, window="09-12", warehouse=WarehouseFactory()
    )
    with pytest.raises(DomainError) as refused:
        pickup_assign(shipment, elsewhere, actor=operator())
    assert refused.value.code == "wrong_warehouse"
    inbound_transition(shipment, "cancelled", actor=operator(), reason="Pickup abandoned")
    slot = PickupSlot.objects.create(
        cluster=cluster, date=tomorrow, window="13-17", warehouse=order.warehouse
    )
    with pytest.raises(DomainError) as refused:
        pickup_assign(shipment, slot, actor=operator())
    assert refused.value.code == "invalid_transition"


def test_huge_quantities_are_a_clear_4xx_in_every_door():
    listing = stocked_listing()
    order = stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=None)
    member = member_of(listing)
    stocking_order_accept(order, actor=member)
    huge = 3_000_000_000

    portal = Client(raise_request_exception=False)
    portal.force_login(member)
    sent = portal.post(
        reverse("portal:stocking_order_send", args=[order.pk]),
        {"declared": huge, "method": "carrier", "carrier": "SF", "waybill": "SF1"},
    )
    assert sent.status_code == 200  # the form again, with the error

    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {supplier_token(member)}")
    body = {
        "stocking_order": order.pk,
        "lines": [{"listing": listing.pk, "declared": huge}],
        "carrier": "SF",
        "waybill": "SF1",
    }
    answer = api.post("/api/v1/inbound-shipments/", body, format="json")
    assert answer.status_code == 400
    assert "lines[0].declared" in answer.json()["fields"]

    line = shipment_for(listing, 5).lines.get()
    admin = Client(raise_request_exception=False)
    admin.force_login(operator())
    counted = admin.post(
        reverse("admin:logistics_inboundline_count", args=[line.pk]),
        {"received": huge, "damaged": 0},
    )
    assert counted.status_code == 200
    line.refresh_from_db()
    assert line.received is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_take_back_and_fulfilment_at_once_do_not_deadlock():
    from orders.services.consumer import consumer_order_create, consumer_order_fulfil
    from tests.factories.accounts import UserFactory

    hub = WarehouseFactory()
    listing = stocked_listing(10, warehouse=hub)
    lot = StockLot.objects.get(position__listing=listing)
    StockLot.objects.filter(pk=lot.pk).update(received_at=timezone.now() - timedelta(days=100))
    offer_overstock()
    offer = OverstockOffer.objects.get(lot=lot)
    member = member_of(listing)
    order = consumer_order_create(
        listing_id=listing.pk, quantity=2, external_id="X", market="US", actor=UserFactory()
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(act):
        try:
            barrier.wait()
            act()
        except DomainError:
            pass
        except BaseException as error:  # a deadlock would land here
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: overstock_take_back(offer, actor=member),)),
        threading.Thread(target=run, args=(lambda: consumer_order_fulfil(order, actor=None),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    position = position_of(listing)
    lot.refresh_from_db()
    assert position.on_hand == lot.remaining + 0  # what is left is the lot's


def test_a_lot_with_nothing_sound_moves_no_switching_rule():
    from logistics.models import SamplingState

    listing = stocked_listing()
    staff = operator()
    for _ in range(2):
        line = shipment_for(listing, 20).lines.get()
        line_count(line, received=20, damaged=20, actor=staff)
        assert line_inspect(line, defects=0, actor=staff).result == "rejected"
    state = SamplingState.objects.get(supplier=listing.supplier, product=listing.product)
    assert state.severity == "normal"
