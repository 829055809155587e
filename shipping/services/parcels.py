"""Parcels made from consumer orders (SPEC, "Outbound parcels"), and the doors' consumer-order
actions that make or unmake them.

- A fully-managed order is fulfilled by the platform's warehouse and packed at once: one or more
  parcels (split so that none weighs more than settings.PARCEL_MAX_WEIGHT_G), items with HS code,
  origin country, the order's frozen retail price in the market's currency and weight, shipped by
  the platform through the market's active last-mile partner, each with a platform tracking
  number (`<partner prefix><10 digits>`; `MP` while the market has no partner).
- A semi-managed order gets its parcel when it is placed (shipped by the seller, no tracking
  number); the seller's carrier and tracking number are the shipment, and the shipment is the
  sale (`parcel_ship`).
- Every parcel passes the compliance gate when made and before it leaves (shipping.services.holds).

Lock order, everywhere: the consumer order, then its parcels, then the stock."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing, ListingPrice
from compliance.selectors.answer import compliance_answer, compliance_blocked
from customs.models import Channel
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import NewEvent, record_event, record_events
from marketplace.markets import MARKET_CURRENCY, MARKET_DEFAULT_COUNTRY
from orders.models import ConsumerOrder, JitOrder
from orders.services.consumer import (
    consumer_order_cancel,
    consumer_order_create,
    consumer_order_fulfil,
)
from suppliers.selectors import supplier_id_for

from ..models import TRACKING_NUMBER, LastMilePartner, Milestone, Parcel, ParcelItem
from .customs import parcels_decide
from .holds import parcels_answers, parcels_gate, parcels_hold, parcels_release
from .tracking import TrackingInput, tracking_record

# The platform's tracking numbers when the market has no last-mile partner yet.
PLATFORM_PREFIX = "MP"
# What a carrier's tracking number may look like (letters, digits, dashes).


def weight_shares(quantity: int, unit_weight_g: int) -> list[int]:
    """Units per parcel: as many as fit under the weight limit (one unit at least, whatever it
    weighs: a unit is never split)."""
    per_parcel = max(1, settings.PARCEL_MAX_WEIGHT_G // max(unit_weight_g, 1))
    full, rest = divmod(quantity, per_parcel)
    return [per_parcel] * full + ([rest] if rest else [])


def _unit_price(order: ConsumerOrder) -> Decimal:
    """The retail price frozen on the order (orders older than the freeze: the market's price
    now)."""
    if order.unit_price is not None:
        return order.unit_price
    price = ListingPrice.objects.filter(listing_id=order.listing_id, market=order.market).first()
    return price.amount if price is not None else Decimal("0.00")


def parcels_make(order: ConsumerOrder, *, actor: User | None) -> list[Parcel]:
    """The order's parcels (inside the caller's transaction, the order locked), each judged by
    the compliance gate: a refused one goes to the hold queue."""
    listing = Listing.objects.select_related("product").get(pk=order.listing_id)
    product = listing.product
    platform = order.warehouse_id is not None
    partner = (
        LastMilePartner.objects.filter(market=order.market, is_active=True).order_by("pk").first()
        if platform
        else None
    )
    unit_price = _unit_price(order)
    parcels = [
        Parcel(
            order=order,
            listing=listing,
            supplier_id=order.supplier_id,
            mode=Parcel.Mode.PLATFORM if platform else Parcel.Mode.SELLER,
            market=order.market,
            country=order.country or MARKET_DEFAULT_COUNTRY.get(order.market, ""),
            channel=partner.channel if partner else Channel.COURIER,
            last_mile=partner,
            declared_value=unit_price * units,
            currency=order.currency or MARKET_CURRENCY.get(order.market, ""),
            weight_g=product.weight_g * units,
        )
        for units in weight_shares(order.quantity, product.weight_g)
    ]
    Parcel.objects.bulk_create(parcels)
    if platform:
        prefix = partner.tracking_prefix if partner else PLATFORM_PREFIX
        for parcel in parcels:
            parcel.tracking_number = f"{prefix}{parcel.pk:010d}"
        Parcel.objects.bulk_update(parcels, ["tracking_number"])
    ParcelItem.objects.bulk_create(
        ParcelItem(
            parcel=parcel,
            product=product,
            description=product.title_en,
            hs_code=product.hs_code,
            origin_country=product.origin_country,
            quantity=parcel.weight_g // product.weight_g,
            unit_value=unit_price,
            weight_g=product.weight_g,
        )
        for parcel in parcels
    )
    record_events(
        NewEvent(
            "parcel.created",
            actor=actor,
            subject=parcel,
            payload={
                "order": order.pk,
                "mode": parcel.mode,
                "market": parcel.market,
                "tracking_number": parcel.tracking_number,
                "weight_g": parcel.weight_g,
            },
            supplier_id=parcel.supplier_id,
        )
        for parcel in parcels
    )
    parcels_gate(parcels, actor=actor)
    # Judged on today's rules now; judged again on the day it leaves (parcels_decide's job).
    parcels_decide([parcel.pk for parcel in parcels])
    return parcels


# --- The consumer-order doors' actions ---------------------------------------------------------


def consumer_order_place(
    *,
    listing_id: int,
    quantity: int,
    external_id: str,
    market: str,
    actor: User,
    country: str | None = None,
) -> ConsumerOrder | JitOrder:
    """The storefront's order (orders.services.consumer.consumer_order_create); a semi-managed
    order gets its parcel in the same transaction, for its seller to ship."""
    with transaction.atomic():
        order = consumer_order_create(
            listing_id=listing_id,
            quantity=quantity,
            external_id=external_id,
            market=market,
            actor=actor,
            country=country,
        )
        if isinstance(order, ConsumerOrder) and order.warehouse_id is None:
            parcels_make(order, actor=actor)
    return order


def consumer_order_fulfil_and_pack(order: ConsumerOrder, *, actor: User | None) -> ConsumerOrder:
    """The platform's warehouse fulfils a fully-managed order (the sale) and packs its parcels,
    in one transaction; again, it changes nothing. A semi-managed order is fulfilled by its
    seller's shipment instead (409 `shipped_by_seller`)."""
    if order.warehouse_id is None:
        raise DomainError(
            "shipped_by_seller",
            _("The seller ships this semi-managed order: it is fulfilled when the seller posts "
              "its tracking number."),
        )  # fmt: skip
    with transaction.atomic():
        order = consumer_order_fulfil(order, actor=actor)
        if not Parcel.objects.filter(order_id=order.pk).exists():
            parcels_make(order, actor=actor)
    return order


def consumer_order_withdraw(order: ConsumerOrder, *, actor: User | None) -> ConsumerOrder:
    """Cancelled before fulfilment (orders.services.consumer.consumer_order_cancel: the
    reservation is released); a semi-managed order's parcel, never shipped, goes with it."""
    with transaction.atomic():
        order = consumer_order_cancel(order, actor=actor)
        Parcel.objects.filter(
            order_id=order.pk, status=Parcel.Status.CREATED, tracking_number=""
        ).delete()
    return order


# --- The seller ships ---------------------------------------------------------------------------


def _not_found() -> DomainError:
    return DomainError("not_found", _("No such parcel."), kind=ErrorKind.NOT_FOUND)


def _shipment_input(carrier: str, tracking_number: str) -> tuple[str, str]:
    carrier = " ".join(carrier.split())
    number = tracking_number.strip().upper()
    errors: dict[str, list[str]] = {}
    if not 2 <= len(carrier) <= 60:
        errors["carrier"] = [_("The carrier's name, 2 to 60 characters.")]
    if not TRACKING_NUMBER.fullmatch(number):
        errors["tracking_number"] = [
            _("6 to 40 letters, digits or dashes, as the carrier printed it.")
        ]
    if errors:
        raise DomainError(
            "invalid_shipment",
            _("Give the carrier and its tracking number."),
            fields=errors,
            kind=ErrorKind.INVALID,
        )
    return carrier, number


def parcel_ship(parcel: Parcel, *, carrier: str, tracking_number: str, actor: User) -> Parcel:
    """The seller posts its carrier and tracking number for a semi-managed parcel: the order is
    fulfilled (the sale: the units leave its overseas stock and reservation, the payable is
    recorded at the supply price), the parcel is picked up (a `picked_up` tracking event, now).
    The parcel is judged first: where compliance refuses shipping, it goes to the hold queue and
    the shipment is refused (422 `compliance_blocked`). The same carrier and number again change
    nothing."""
    if supplier_id_for(actor) != parcel.supplier_id:
        raise _not_found()
    carrier, number = _shipment_input(carrier, tracking_number)
    if parcel.mode != Parcel.Mode.SELLER:
        raise DomainError(
            "shipped_by_platform",
            _("The platform ships this parcel; it has its own tracking number."),
            kind=ErrorKind.INVALID,
        )
    if parcel.tracking_number:
        if (parcel.tracking_number, parcel.carrier) == (number, carrier):
            return parcel
        raise _already_shipped(parcel)
    answer = compliance_answer(parcel.listing, parcel.market)
    if not answer.may_ship:
        # Committed on its own: the refusal below must not roll the hold back.
        with transaction.atomic():
            locked = Parcel.objects.select_for_update().filter(pk=parcel.pk).first()
            if locked is not None:
                parcels_hold([locked], {locked.pk: answer}, actor=actor)
        raise compliance_blocked([answer])
    now = timezone.now()
    with transaction.atomic():
        # The order first (the lock order of consumer orders and their parcels).
        ConsumerOrder.objects.select_for_update().filter(pk=parcel.order_id).first()
        locked = Parcel.objects.select_for_update().filter(pk=parcel.pk).first()
        if locked is None:
            raise _not_found()
        if locked.tracking_number:
            if (locked.tracking_number, locked.carrier) == (number, carrier):
                return locked
            raise _already_shipped(locked)
        if Parcel.objects.filter(tracking_number=number).exists():
            raise _number_taken(number)
        parcels_release([locked], actor=actor)
        consumer_order_fulfil(locked.order, actor=actor)
        locked.carrier, locked.tracking_number = carrier, number
        try:
            with transaction.atomic():
                locked.save(update_fields=["carrier", "tracking_number"])
        except IntegrityError:
            raise _number_taken(number) from None
        tracking_record(
            [
                TrackingInput(
                    tracking_number=number,
                    external_id=f"seller-ship-{locked.pk}",
                    code=Milestone.PICKED_UP,
                    occurred_at=now,
                    note=carrier,
                )
            ],
            actor=actor,
        )
        parcels_decide([locked.pk])  # on its ship date: the day it was picked up
        record_event(
            "parcel.shipped",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            payload={"carrier": carrier, "tracking_number": number, "batch": None},
        )
    locked.refresh_from_db()
    return locked


def _already_shipped(parcel: Parcel) -> DomainError:
    return DomainError(
        "already_shipped",
        _("This parcel was shipped with %(carrier)s, tracking number %(number)s.")
        % {"carrier": parcel.carrier, "number": parcel.tracking_number},
        fields={"tracking_number": [_("Already posted.")]},
    )


def _number_taken(number: str) -> DomainError:
    return DomainError(
        "tracking_number_taken",
        _("Tracking number %(number)s is already another parcel's.") % {"number": number},
        fields={"tracking_number": [_("Already another parcel's.")]},
    )


__all__ = [
    "consumer_order_fulfil_and_pack",
    "consumer_order_place",
    "consumer_order_withdraw",
    "parcel_ship",
    "parcels_answers",
    "parcels_make",
    "weight_shares",
]
