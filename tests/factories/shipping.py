"""Parcels in any state at once (what the services would have left), for tests of tracking,
customs and returns that need a parcel but not the way it was made."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from catalogue.models import Listing
from marketplace.markets import MARKET_CURRENCY
from orders.models import ConsumerOrder
from shipping.models import LastMilePartner, Parcel, ParcelItem

from .catalogue import ListingFactory
from .logistics import WarehouseFactory

# The country a parcel goes to when a test does not say.
DEFAULT_COUNTRY = {"US": "US", "EU": "DE", "UK": "GB", "CA": "CA", "AU": "AU", "JP": "JP"}


class LastMilePartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LastMilePartner
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"lastmile-{n}")
    name = factory.Sequence(lambda n: f"Last mile {n}")
    market = "US"
    tracking_prefix = "LM"


def consumer_order(
    listing: Listing | None = None,
    *,
    market: str = "US",
    quantity: int = 1,
    unit_price: str = "19.99",
    status: str = ConsumerOrder.Status.FULFILLED,
    **fields: object,
) -> ConsumerOrder:
    """A consumer order as the storefront made it and the warehouse fulfilled it."""
    listing = listing or ListingFactory(
        status=Listing.Status.LIVE, supply_price_cny=Decimal("20.00")
    )
    now = timezone.now()
    values: dict[str, object] = {
        "listing": listing,
        "supplier_id": listing.supplier_id,
        "warehouse": WarehouseFactory() if listing.mode == Listing.Mode.FULLY_MANAGED else None,
        "external_id": f"SO-{ConsumerOrder.objects.count() + 1}",
        "market": market,
        "country": DEFAULT_COUNTRY[market],
        "quantity": quantity,
        "unit_price": Decimal(unit_price),
        "currency": MARKET_CURRENCY[market],
        "unit_supply_price": listing.supply_price_cny or Decimal("20.00"),
        "status": status,
        "ordered_at": now,
        "fulfilled_at": now if status == ConsumerOrder.Status.FULFILLED else None,
        **fields,
    }
    return ConsumerOrder.objects.create(**values)


def parcel(
    order: ConsumerOrder | None = None,
    *,
    tracking_number: str | None = None,
    status: str = Parcel.Status.CREATED,
    **fields: object,
) -> Parcel:
    """One parcel carrying the whole order, with its item line; milestone times as given."""
    order = order or consumer_order()
    listing = order.listing
    product = listing.product
    mode = (
        Parcel.Mode.PLATFORM if listing.mode == Listing.Mode.FULLY_MANAGED else Parcel.Mode.SELLER
    )
    unit_price = order.unit_price or Decimal("19.99")
    values: dict[str, object] = {
        "order": order,
        "listing": listing,
        "supplier_id": order.supplier_id,
        "mode": mode,
        "market": order.market,
        "country": order.country or DEFAULT_COUNTRY[order.market],
        "tracking_number": (
            tracking_number
            if tracking_number is not None
            else f"TM{Parcel.objects.count() + 1:010d}"
        ),
        "declared_value": unit_price * order.quantity,
        "currency": order.currency or MARKET_CURRENCY[order.market],
        "weight_g": product.weight_g * order.quantity,
        "status": status,
        **fields,
    }
    made = Parcel.objects.create(**values)
    ParcelItem.objects.create(
        parcel=made,
        product=product,
        description=product.title_en,
        hs_code=product.hs_code,
        origin_country=product.origin_country,
        quantity=order.quantity,
        unit_value=unit_price,
        weight_g=product.weight_g,
    )
    return made


def delivered_parcel(order: ConsumerOrder | None = None, **fields: object) -> Parcel:
    """A parcel delivered now (or at `delivered_at`), every milestone before it stamped."""
    at = fields.pop("delivered_at", None) or timezone.now()
    assert isinstance(at, datetime)
    day = timedelta(days=1)
    return parcel(
        order,
        status=Parcel.Status.DELIVERED,
        picked_up_at=at - 8 * day,
        departed_origin_at=at - 7 * day,
        arrived_destination_at=at - 4 * day,
        customs_cleared_at=at - 3 * day,
        out_for_delivery_at=at - day,
        delivered_at=at,
        **fields,
    )
