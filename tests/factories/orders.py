from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from catalogue.models import Listing
from orders.models import JitOrder
from orders.tally import tally_share, tally_update
from suppliers.services.jit import jit_apply

from .catalogue import ListingFactory, retail_price
from .suppliers import funded_supplier


def jit_listing(deposit: str = "100000.00", price: str = "20.00") -> Listing:
    supplier = funded_supplier(deposit)
    jit_apply(supplier, actor=None)
    listing = ListingFactory(
        supplier=supplier, is_jit=True, status=Listing.Status.LIVE, supply_price_cny=Decimal(price)
    )
    retail_price(listing)
    return listing


def jit_order(listing: Listing, *, quantity: int = 2, **fields: object) -> JitOrder:
    """An order in any state at once (what the services would have left), with its share of
    the dashboard's tally."""
    price = listing.supply_price_cny or Decimal("20.00")
    values = {
        "listing": listing,
        "supplier_id": listing.supplier_id,
        "external_id": "SO-1",
        "quantity": quantity,
        "unit_supply_price": price,
        "goods_value": price * quantity,
        "ordered_at": timezone.now(),
        **fields,
    }
    order = JitOrder.objects.create(**values)
    tally_update([], [tally_share(order)])  # as jit_order_create and the later moves keep it
    return order
