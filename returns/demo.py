"""Demo returns for `seed_demo`, from the demo shop's fulfilled consumer orders (orders/demo.py):
one return received and inspected (a defective unit charged back to Bright, which may appeal in
the portal; a sound one restocked at the US return centre), refunded and closed; one waiting for
an operator to authorise it; one authorised and on its way back (not received yet), on a sale
that brings the tiles to RATE_SOLD units sold, so that `seed_return_rates` (the daily job, run
after them) puts the listing on warning (3 of 25 units returned as defective).

Each needs a delivered parcel of its order. The parcels' demo (shipping/demo.py) makes them when
it runs first; for an order it left without one, a parcel is made before its first scan and
delivered by the carrier's events posted through tracking (tracking_record). Built through the
returns services otherwise. Once only: nothing is added when the demo returns exist.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from catalogue.models import Listing, ListingPrice
from logistics.models import Warehouse
from marketplace.markets import MARKET_CURRENCY
from orders.demo import SHOP_PREFIX
from orders.models import ConsumerOrder
from orders.services.consumer import consumer_order_create, consumer_order_fulfil
from shipping.models import Milestone, Parcel, ParcelItem
from shipping.services.tracking import TrackingInput, tracking_record

from .models import ReturnReason, ReturnRequest
from .services.receiving import Inspection, refund_record, return_inspect
from .services.requests import LineInput, return_authorise, return_request_create
from .services.return_rate import RateRun, return_rates_compute

RETURN_PREFIX = "DEMO-RETURN-"
# The demo tiles' units sold in the return-rate window once the demo's sales are made, and the
# consumer order that makes up the difference.
RATE_SOLD = 25
RATE_SALE = "DEMO-RATE-SALE-0001"
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
    # Made before its first scan, and left as a new parcel: its milestones are the carrier's
    # events, posted below as tracking posts them.
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
        status=Parcel.Status.CREATED,
        created_at=delivered_at - 9 * day,
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
    steps = [
        (Milestone.PICKED_UP, 8, "Guangzhou, CN"),
        (Milestone.DEPARTED_ORIGIN, 7, "Guangzhou, CN"),
        (Milestone.ARRIVED_DESTINATION, 4, "Los Angeles, US"),
        (Milestone.CUSTOMS_CLEARED, 3, "Los Angeles, US"),
        (Milestone.OUT_FOR_DELIVERY, 1, "Los Angeles, US"),
        (Milestone.DELIVERED, 0, "Los Angeles, US"),
    ]
    tracking_record(
        [
            TrackingInput(
                tracking_number=parcel.tracking_number,
                external_id=f"{parcel.tracking_number}-{code}",
                code=code,
                occurred_at=delivered_at - days_before * day,
                location=location,
            )
            for code, days_before, location in steps
        ]
    )
    parcel.refresh_from_db()
    return parcel


def _sale(listing: Listing, units: int, external_id: str, actor: User) -> ConsumerOrder | None:
    """A fulfilled sale of `units` from the listing's stock (None when the stock is short)."""
    order = consumer_order_create(
        listing_id=listing.pk,
        quantity=units,
        external_id=external_id,
        market="US",
        actor=actor,
    )
    if not isinstance(order, ConsumerOrder):
        return None  # no stock: the order went to JIT instead; no sale to return from
    return consumer_order_fulfil(order, actor=actor)


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
        # Enough sales of the listing for the return-rate job to judge it (at least
        # RETURN_RATE_MIN_UNITS), and a third return: one defective unit, authorised and on its
        # way to the return centre (the operator's receive-and-inspect page waits for it). 3 of
        # RATE_SOLD units returned as defective (12%) puts the listing on warning.
        listing = first.listing
        sold = ConsumerOrder.objects.filter(
            listing=listing, status=ConsumerOrder.Status.FULFILLED
        ).aggregate(units=Sum("quantity"))["units"]
        sale = _sale(listing, max(1, RATE_SOLD - (sold or 0)), RATE_SALE, shop)
        if sale is not None:
            parcel = _delivered_parcel(sale, days_ago=2)
            item = parcel.items.order_by("pk").first()
            assert item is not None
            on_its_way = return_request_create(
                parcel_id=parcel.pk,
                external_id=f"{RETURN_PREFIX}0003",
                lines=[LineInput(item=item.pk, quantity=1, reason="defective")],
                actor=shop,
            )
            if not on_its_way.refund_only:
                return_authorise(on_its_way, actor=operator)
            made.append(on_its_way)
    return made


def seed_return_rates() -> RateRun:
    """The daily return-rate job, run once the demo's sales and returns exist: the portal's
    "Return rates" tab has figures, and the demo listing its warning."""
    return return_rates_compute()
