"""Sales and returns made directly with the models (what the orders and returns services would
have left), for the return-rate job's tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from catalogue.models import Listing
from orders.models import ConsumerOrder
from returns.models import ReturnLine, ReturnReason, ReturnRequest
from tests.factories.logistics import stocked_listing
from tests.factories.shipping import consumer_order, delivered_parcel

COUNTED = {"defective": True, "not_as_described": True, "size": False, "changed_mind": False}


def reason(code: str = "defective") -> ReturnReason:
    found, _ = ReturnReason.objects.get_or_create(
        code=code,
        defaults={"label_en": code, "label_zh": code, "counts_as_defect": COUNTED.get(code, False)},
    )
    return found


def rated_listing(price: str = "20.00", **fields: object) -> Listing:
    """A live fully-managed listing with stock (so it is not paused for stock)."""
    return stocked_listing(5, price=price, **fields)


def sell(
    listing: Listing,
    units: int,
    *,
    at: datetime | None = None,
    status: str = ConsumerOrder.Status.FULFILLED,
    supply_price: str | None = None,
) -> ConsumerOrder:
    fields: dict[str, object] = {"ordered_at": at or timezone.now()}
    if status == ConsumerOrder.Status.FULFILLED:
        fields["fulfilled_at"] = at or timezone.now()
    if supply_price is not None:
        fields["unit_supply_price"] = Decimal(supply_price)
    return consumer_order(listing, quantity=units, status=status, **fields)


def give_back(
    order: ConsumerOrder,
    units: int,
    *,
    why: str = "defective",
    at: datetime | None = None,
    status: str = ReturnRequest.Status.OPEN,
) -> ReturnLine:
    parcel = delivered_parcel(order)
    request = ReturnRequest.objects.create(
        parcel=parcel,
        order=order,
        listing=order.listing,
        supplier_id=order.supplier_id,
        market=order.market,
        external_id=f"RT-{ReturnRequest.objects.count() + 1}",
        status=status,
        requested_at=at or timezone.now(),
    )
    return ReturnLine.objects.create(
        request=request,
        item=parcel.items.get(),
        quantity=units,
        reason=reason(why),
        unit_value=Decimal("19.99"),
        unit_value_usd=Decimal("19.99"),
    )


def sold_and_returned(
    listing: Listing, sold: int, returned: int, *, why: str = "defective", at=None
) -> ConsumerOrder:
    """`sold` units in one order, `returned` of them back for `why`."""
    order = sell(listing, sold, at=at)
    if returned:
        give_back(order, returned, why=why, at=at)
    return order
