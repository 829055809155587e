"""Circular pickups: a supplier whose factory is in a served industrial cluster asks for a
pickup instead of a carrier; an operator puts the shipment on a slot of that cluster."""

from __future__ import annotations

from datetime import timedelta

import pytest

from logistics.models import InboundShipment, PickupCluster, PickupSlot
from logistics.selectors import pickup_cluster_of, pickup_today
from logistics.services.inbound.notices import inbound_create
from logistics.services.inbound.pickups import pickup_assign
from logistics.services.inbound.shipments import inbound_transition
from logistics.services.inbound.stocking import stocking_order_accept, stocking_order_issue
from marketplace.errors import DomainError, ErrorKind
from suppliers.models import Factory
from tests.factories.logistics import WarehouseFactory, member_of, operator, stocked_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster():
    return PickupCluster.objects.create(name="Shantou Chenghai toys", province="Guangdong")


def _accepted_order(listing):
    order = stocking_order_issue(listing, quantity=10, warehouse=WarehouseFactory(), actor=None)
    member = member_of(listing)
    stocking_order_accept(order, actor=member)
    return order, member


def test_only_suppliers_in_a_served_cluster_may_ask_for_a_pickup(cluster):
    listing = stocked_listing()
    order, member = _accepted_order(listing)
    with pytest.raises(DomainError) as refused:
        inbound_create(order, actor=member, pickup=True)
    assert list(refused.value.fields) == ["pickup"]
    Factory.objects.filter(supplier=listing.supplier).update(
        industrial_cluster="shantou chenghai TOYS "
    )
    assert pickup_cluster_of(listing.supplier_id) == cluster
    shipment = inbound_create(order, actor=member, pickup=True)
    assert shipment.pickup_requested
    # Without a slot it cannot be booked.
    with pytest.raises(DomainError) as refused:
        inbound_transition(shipment, "booked", actor=member)
    assert refused.value.code == "not_bookable"


def test_an_operator_assigns_a_slot_of_the_suppliers_cluster_and_the_shipment_is_booked(cluster):
    listing = stocked_listing()
    Factory.objects.filter(supplier=listing.supplier).update(industrial_cluster=cluster.name)
    order, member = _accepted_order(listing)
    shipment = inbound_create(order, actor=member, pickup=True)
    hub = shipment.warehouse
    tomorrow = pickup_today() + timedelta(days=1)
    other = PickupCluster.objects.create(name="Yiwu small commodities", province="Zhejiang")
    wrong = PickupSlot.objects.create(cluster=other, date=tomorrow, window="09-12", warehouse=hub)
    with pytest.raises(DomainError) as refused:
        pickup_assign(shipment, wrong, actor=operator())
    assert refused.value.code == "wrong_cluster"
    past = PickupSlot.objects.create(
        cluster=cluster, date=tomorrow - timedelta(days=3), window="09-12", warehouse=hub
    )
    with pytest.raises(DomainError):
        pickup_assign(shipment, past, actor=operator())
    slot = PickupSlot.objects.create(cluster=cluster, date=tomorrow, window="09-12", warehouse=hub)
    booked = pickup_assign(shipment, slot, actor=operator())
    assert (booked.status, booked.pickup_slot_id) == (InboundShipment.Status.BOOKED, slot.pk)


def test_a_carrier_shipment_needs_both_carrier_and_waybill():
    listing = stocked_listing()
    order, member = _accepted_order(listing)
    with pytest.raises(DomainError) as refused:
        inbound_create(order, actor=member, carrier="SF Express")
    assert list(refused.value.fields) == ["waybill"]


def test_another_suppliers_member_cannot_answer_the_order():
    listing = stocked_listing()
    order, _member = _accepted_order(listing)
    stranger = member_of(stocked_listing())
    with pytest.raises(DomainError) as refused:
        inbound_create(order, actor=stranger, carrier="SF", waybill="SF1")
    assert refused.value.kind == ErrorKind.NOT_FOUND


def test_pickups_only_for_open_shipments_and_their_warehouse():
    listing = stocked_listing()
    order = stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=None)
    member = member_of(listing)
    stocking_order_accept(order, actor=member)
    cluster = PickupCluster.objects.create(name="Yiwu", province="Zhejiang")
    Factory.objects.filter(supplier=listing.supplier).update(industrial_cluster="Yiwu")
    shipment = inbound_create(order, actor=member, pickup=True)
    tomorrow = pickup_today() + timedelta(days=1)
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
