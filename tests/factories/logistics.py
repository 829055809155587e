"""Warehouses, stocking orders and stock, built through the services where the rules matter."""

from __future__ import annotations

from decimal import Decimal

import factory

from accounts.models import User
from catalogue.models import Listing
from logistics.models import InboundShipment, Inspection, StockingOrder, StockPosition, Warehouse
from logistics.services.inbound.inspection import line_inspect
from logistics.services.inbound.notices import inbound_create
from logistics.services.inbound.receiving import line_count
from logistics.services.inbound.shipments import inbound_transition
from logistics.services.inbound.stocking import stocking_order_accept, stocking_order_issue

from .accounts import UserFactory
from .catalogue import ListingFactory, retail_price
from .suppliers import MembershipFactory, funded_supplier


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"hub-{n}")
    name = factory.Sequence(lambda n: f"Guangzhou hub {n}")
    kind = Warehouse.Kind.HUB
    address = "1 Logistics Road, Guangzhou"


def stocked_listing(
    units: int = 0,
    *,
    price: str = "20.00",
    warehouse: Warehouse | None = None,
    new: bool = False,
    **fields: object,
) -> Listing:
    """A live fully-managed listing of a funded supplier, with `units` accepted into stock. An
    established one (its first batch passed: uncapped) unless `new`."""
    from django.utils import timezone

    supplier = funded_supplier()
    listing = ListingFactory(
        supplier=supplier,
        status=Listing.Status.LIVE,
        supply_price_cny=Decimal(price),
        first_batch_accepted_at=None if new else timezone.now(),
        **fields,
    )
    retail_price(listing)
    if units:
        receive_stock(listing, units, warehouse=warehouse or WarehouseFactory())
    return listing


def member_of(listing: Listing) -> User:
    membership = MembershipFactory(supplier=listing.supplier)
    return membership.user


def operator() -> User:
    return UserFactory(is_staff=True, is_superuser=True)


def shipment_for(
    listing: Listing, units: int, *, warehouse: Warehouse | None = None, status: str = "arrived"
) -> InboundShipment:
    """A stocking order for `units`, accepted, and its shipment moved up to `status`."""
    staff = operator()
    order = stocking_order_issue(
        listing, quantity=units, warehouse=warehouse or WarehouseFactory(), actor=staff
    )
    member = member_of(listing)
    stocking_order_accept(order, actor=member)
    shipment = inbound_create(order, actor=member, carrier="SF Express", waybill="SF1234567890")
    for target in ("booked", "in_transit", "arrived"):
        if shipment.status == status:
            break
        shipment = inbound_transition(shipment, target, actor=staff)
    return shipment


def receive_stock(
    listing: Listing, units: int, *, warehouse: Warehouse, defects: int = 0
) -> Inspection:
    """Bring `units` into stock the whole way: stocking order, shipment, count, inspection."""
    shipment = shipment_for(listing, units, warehouse=warehouse)
    line = shipment.lines.get()
    staff = operator()
    line_count(line, received=units, damaged=0, actor=staff)
    return line_inspect(line, defects=defects, actor=staff)


def position_of(listing: Listing) -> StockPosition:
    return StockPosition.objects.get(listing=listing)


__all__ = ["StockingOrder", "WarehouseFactory", "receive_stock", "shipment_for", "stocked_listing"]
