"""Demo returns for `seed_demo`, from the demo shop's fulfilled consumer orders (orders/demo.py):
one return received and inspected (a defective unit charged back to Bright, which may appeal in
the portal; a sound one restocked at the US return centre), refunded and closed; one waiting for
an operator to authorise it; one refund-only when a delivered item is worth under USD 10.

Each needs a delivered parcel of its order. The parcels' demo (shipping/demo.py) makes them when
it runs first; for an order it left without one, a delivered parcel is written here as the
tracking would have left it. Built through the returns services otherwise. Once only: nothing is
added when the demo returns exist.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalogue.models import Listing, ListingPrice
from logistics.models import Warehouse
from marketplace.markets import MARKET_CURRENCY
from orders.demo import SHOP_PREFIX
from orders.models import ConsumerOrder
from shipping.models import Parcel, ParcelItem

from .models import ReturnReason, ReturnRequest
from .services.receiving import Inspection, refund_record, return_inspect
from .services.requests import LineInput, return_authorise, return_request_create

RETURN_PREFIX = "DEMO-RETURN-"
US_RETURN_CENTRE = (
    "us-returns",
    "Los Angeles return centre",
    "美国洛杉矶退货中心",
    "1200 E Carson St, Carson, CA 90745, USA",
)


def _return_centre() -> Warehouse:
    code, name, name_zh, address = US_RETURN_CENTRE
    centre = Warehouse.objects.filter(kind=Warehouse.Kind.RETURN_CENTRE, market="US").first()
    if centre is None:
        centre = Warehouse.objects.create(
            code=code,
            name=name,
            name_zh=name_zh,
            kind=Warehouse.Kind.RETURN_CENTRE,
            market="US",
            address=address,
        )
    return centre


def _delivered_parcel(order: ConsumerOrder, days_ago: int) -> Parcel:
    """The order's delivered parcel; written as tracking leaves one when the parcels' demo made
    none."""
    found = order.parcels.filter(status=Parcel.Status.DELIVERED).first()
    if found is not None:
        return found
    listing = order.listing
    product = listing.product
    price = order.unit_price or (
        ListingPrice.objects.filter(listing=listing, market=order.market)
        .values_list("amount", flat=True)
        .first()
    )
    unit_value = price or Decimal("19.99")
    delivered_at = timezone.now() - timedelta(days=days_ago)
    day = timedelta(days=1)
    parcel = Parcel.objects.create(
        order=order,
        listing=listing,
        supplier_id=order.supplier_id,
        mode=(
            Parcel.Mode.PLATFORM
            if listing.mode == Listing.Mode.FULLY_MANAGED
            else Parcel.Mode.SELLER
        ),
        market=order.market,
        country=order.country or "US",
        tracking_number=f"DEMO{order.pk:010d}",
        declared_value=unit_value * order.quantity,
        currency=order.currency or MARKET_CURRENCY[order.market],
        weight_g=product.weight_g * order.quantity,
        status=Parcel.Status.DELIVERED,
        picked_up_at=delivered_at - 8 * day,
        departed_origin_at=delivered_at - 7 * day,
        arrived_destination_at=delivered_at - 4 * day,
        customs_cleared_at=delivered_at - 3 * day,
        out_for_delivery_at=delivered_at - day,
        delivered_at=delivered_at,
    )
    ParcelItem.objects.create(
        parcel=parcel,
        product=product,
        description=product.title_en,
        hs_code=product.hs_code,
        origin_country=product.origin_country,
        quantity=order.quantity,
        unit_value=unit_value,
        weight_g=product.weight_g,
    )
    return parcel


def seed_returns(*, operator: User) -> list[ReturnRequest]:
    if ReturnRequest.objects.filter(external_id__startswith=RETURN_PREFIX).exists():
        return []
    if ReturnReason.objects.filter(code__in=("defective", "size")).count() < 2:
        return []  # the reasons migrate seeds were removed: nothing to return for
    orders = list(
        ConsumerOrder.objects.filter(
            external_id__startswith=SHOP_PREFIX, status=ConsumerOrder.Status.FULFILLED
        )
        .select_related("listing__product", "placed_by")
        .order_by("pk")
    )
    if len(orders) < 2 or orders[0].placed_by is None:
        return []
    shop = orders[0].placed_by
    made = []
    with transaction.atomic():
        _return_centre()
        # Inspected, one unit defective (charged back), one sound (restocked), refunded, closed.
        first = orders[0]
        parcel = _delivered_parcel(first, days_ago=6)
        item = parcel.items.order_by("pk").first()
        assert item is not None
        units = min(2, item.quantity)
        inspected = return_request_create(
            parcel_id=parcel.pk,
            external_id=f"{RETURN_PREFIX}0001",
            lines=[LineInput(item=item.pk, quantity=units, reason="defective")],
            actor=shop,
        )
        if not inspected.refund_only:
            return_authorise(inspected, actor=operator)
            line = inspected.lines.get()
            defective = 1
            return_inspect(
                inspected,
                {
                    line.pk: Inspection(
                        received=units,
                        defective=defective,
                        restocked=units - defective,
                        not_restocked=defective,
                        missing=0,
                    )
                },
                actor=operator,
            )
            refund_record(inspected, amount=line.unit_value * units, actor=operator)
        made.append(inspected)
        # Waiting for an operator to authorise it.
        second = orders[1]
        parcel = _delivered_parcel(second, days_ago=3)
        item = parcel.items.order_by("pk").first()
        assert item is not None
        made.append(
            return_request_create(
                parcel_id=parcel.pk,
                external_id=f"{RETURN_PREFIX}0002",
                lines=[LineInput(item=item.pk, quantity=1, reason="size")],
                actor=shop,
            )
        )
    return made
