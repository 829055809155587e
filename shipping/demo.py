"""Demo parcels (seed_demo): a last-mile partner in every market; consumer orders on Shenzhen
Bright Toys' consignment tiles packed into parcels, two of them flown on a departed air freight
batch, one waiting for the next (open) batch, one held (an officer's market hold in Canada,
placed after the sale); and consumer orders on Yiwu Youjia's semi-managed lunch box, one shipped
by the seller and two waiting in its portal's "To ship" tab. Once only: nothing is added when
the demo's parcels exist."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from catalogue.models import Listing
from catalogue.services.listings import retail_price_set
from compliance.services.enforcement import market_hold_place
from customs.models import Channel
from logistics.models import Warehouse
from orders.models import ConsumerOrder

from .models import LastMilePartner, Parcel
from .services.batches import batch_add_parcels, batch_create, batch_depart
from .services.parcels import consumer_order_fulfil_and_pack, consumer_order_place, parcel_ship

PREFIX = "DEMO-PARCEL-"
BRIGHT = "91440300MA5F00001"
YOUJIA = "91330782MA2E00002"
HUB = "gz-hub"

# (code, name, market, channel, tracking prefix)
PARTNERS = [
    ("usps-ground", "USPS Ground Advantage", "US", Channel.POSTAL, "US"),
    ("postnl", "PostNL", "EU", Channel.POSTAL, "NL"),
    ("evri", "Evri", "UK", Channel.COURIER, "EV"),
    ("canada-post", "Canada Post", "CA", Channel.POSTAL, "CP"),
    ("auspost", "Australia Post", "AU", Channel.POSTAL, "AP"),
    ("japan-post", "Japan Post", "JP", Channel.POSTAL, "JP"),
]


def seed_last_mile_partners() -> dict[str, LastMilePartner]:
    found = {}
    for code, name, market, channel, prefix in PARTNERS:
        partner, _ = LastMilePartner.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "market": market,
                "channel": channel,
                "tracking_prefix": prefix,
            },
        )
        found[market] = partner
    return found


def _place(listing: Listing, n: int, market: str, operator: User) -> ConsumerOrder:
    order = consumer_order_place(
        listing_id=listing.pk,
        quantity=1,
        external_id=f"{PREFIX}{n:04d}",
        market=market,
        actor=operator,
    )
    assert isinstance(order, ConsumerOrder)  # stock is available: no JIT fallback
    return order


def seed_parcels(*, operator: User) -> list[Parcel]:
    partners = seed_last_mile_partners()
    if ConsumerOrder.objects.filter(external_id__startswith=PREFIX).exists():
        return []
    tiles = Listing.objects.get(
        supplier__credit_code__startswith=BRIGHT, mode=Listing.Mode.FULLY_MANAGED, is_jit=True
    )
    lunchbox = Listing.objects.get(
        supplier__credit_code__startswith=YOUJIA,
        mode=Listing.Mode.SEMI_MANAGED,
        status=Listing.Status.LIVE,
    )
    # Fully managed: three US orders packed, two on a departed batch, one for the next.
    packed = []
    for n in (1, 2, 3):
        order = consumer_order_fulfil_and_pack(_place(tiles, n, "US", operator), actor=operator)
        packed.append(order)
    hub = Warehouse.objects.get(code=HUB)
    now = timezone.now()
    # Packed before their batch departed (two days ago): a parcel's page reads in order.
    Parcel.objects.filter(order__in=packed).update(created_at=now - timedelta(days=3))
    departed = batch_create(
        master_air_waybill="176-20260101",
        flight_number="CZ327",
        origin_hub=hub,
        market="US",
        last_mile=partners["US"],
        planned_departure=now - timedelta(days=2),
        actor=operator,
    )
    batch_add_parcels(departed, Parcel.objects.filter(order__in=packed[:2]), actor=operator)
    batch_depart(departed, actor=operator, departed_at=now - timedelta(days=2))
    batch_create(
        master_air_waybill="176-20260102",
        flight_number="CZ327",
        origin_hub=hub,
        market="US",
        last_mile=partners["US"],
        planned_departure=now + timedelta(days=1),
        actor=operator,
    )
    # Held: sold in Canada, then an officer held the tiles there before the parcel left.
    retail_price_set(tiles, market="CA", amount="13.99", actor=operator)
    canadian = _place(tiles, 4, "CA", operator)
    market_hold_place(
        tiles,
        market="CA",
        note="Demo: awaiting the Canadian toy safety file (CCPSA) before shipping.",
        actor=operator,
    )
    consumer_order_fulfil_and_pack(canadian, actor=operator)
    # Semi-managed: three orders; the seller shipped one, two wait in its "To ship" tab.
    semi = [_place(lunchbox, n, "US", operator) for n in (5, 6, 7)]
    owner = lunchbox.supplier.memberships.select_related("user").get(role="owner").user
    parcel_ship(
        Parcel.objects.get(order=semi[0]),
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        actor=owner,
    )
    return list(Parcel.objects.filter(order__external_id__startswith=PREFIX))


__all__ = ["seed_last_mile_partners", "seed_parcels"]
