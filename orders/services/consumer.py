"""Consumer orders on fully-managed listings, fulfilled from consignment stock (SPEC,
"Consignment inventory"). An order reserves stock; fulfilment is the sale: ownership passes to
the platform and the supplier's payable is recorded at the supply price frozen on the order. A
JIT listing with no stock makes a JIT order instead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing, ListingPrice
from logistics.models import StockPosition
from logistics.services.stock import listing_available, stock_release, stock_reserve, stock_sell
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.states import transition
from suppliers.models import Supplier

from ..models import CONSUMER_ORDER_MACHINE, ConsumerOrder, JitOrder, Payable
from .orders import compliance_gate, jit_order_create

Status = ConsumerOrder.Status


def consumer_order_create(
    *, listing_id: int, quantity: int, external_id: str, market: str, actor: User
) -> ConsumerOrder | JitOrder:
    """Reserve consignment stock for a storefront order; a JIT listing without stock makes a
    JIT order instead (the JIT rules apply to it)."""
    listing = (
        Listing.objects.select_related("supplier", "product__category")
        .filter(pk=listing_id)
        .first()
    )
    if listing is None:
        raise DomainError(
            "listing_not_found",
            _("No such listing."),
            fields={"listing": [_("Unknown.")]},
            kind=ErrorKind.INVALID,
        )
    if listing.mode != Listing.Mode.FULLY_MANAGED:
        raise DomainError(
            "not_fully_managed",
            _("Semi-managed listings ship from the seller's own stock."),
            fields={"listing": [_("Not fully managed.")]},
            kind=ErrorKind.INVALID,
        )
    if quantity < 1:
        raise DomainError(
            "invalid_quantity",
            _("Order at least one unit."),
            fields={"quantity": [_("At least 1.")]},
            kind=ErrorKind.INVALID,
        )
    _refuse_unsellable(listing, market)
    _refuse_reused_reference(actor, external_id)
    if listing.is_jit and listing_available(listing.pk) < quantity:
        return jit_order_create(
            listing_id=listing.pk,
            quantity=quantity,
            external_id=external_id,
            actor=actor,
            market=market,
        )
    if listing.status != Listing.Status.LIVE:
        raise DomainError("listing_not_live", _("This listing is not live."))
    if listing.supply_price_cny is None:
        raise DomainError("no_supply_price", _("This listing has no agreed supply price."))
    compliance_gate(listing, market)
    with transaction.atomic():
        position = stock_reserve(
            listing, quantity, reference=f"storefront:{external_id}", actor=actor
        )
        try:
            with transaction.atomic():
                order = ConsumerOrder.objects.create(
                    listing=listing,
                    supplier_id=listing.supplier_id,
                    warehouse_id=position.warehouse_id,
                    external_id=external_id,
                    placed_by=actor,
                    market=market,
                    quantity=quantity,
                    unit_supply_price=listing.supply_price_cny,
                )
        except IntegrityError:
            # Another request of this client with the same reference committed first: the
            # unique constraint waited for it. The reservation above rolls back with this.
            _refuse_reused_reference(actor, external_id)
            raise
        record_event(
            "consumer_order.reserved",
            actor=actor,
            supplier_id=order.supplier_id,
            subject=order,
            payload={
                "listing": listing.pk,
                "quantity": quantity,
                "warehouse": position.warehouse_id,
            },
        )
    return order


def _refuse_unsellable(listing: Listing, market: str) -> None:
    """A consumer cannot buy from a supplier that is not active (suspended: SPEC,
    "Compliance"), nor in a market where the platform has set no retail price."""
    supplier = listing.supplier
    if supplier.status == Supplier.Status.SUSPENDED:
        raise DomainError(
            "supplier_suspended",
            _("The supplier of this listing is suspended; its goods cannot be sold."),
            fields={"listing": [_("The supplier is suspended.")]},
            kind=ErrorKind.INVALID,
        )
    if supplier.status != Supplier.Status.ACTIVE:
        raise DomainError(
            "supplier_not_active",
            _("The supplier of this listing is not active; its goods cannot be sold."),
            fields={"listing": [_("The supplier is not active.")]},
            kind=ErrorKind.INVALID,
        )
    if not ListingPrice.objects.filter(listing=listing, market=market).exists():
        raise DomainError(
            "no_retail_price",
            _("This listing has no retail price in %(market)s, so it is not sold there.")
            % {"market": market},
            fields={"market": [_("No retail price in this market.")]},
            kind=ErrorKind.INVALID,
        )


def _refuse_reused_reference(actor: User, external_id: str) -> None:
    """A storefront's order reference names one order of that client."""
    existing = (
        ConsumerOrder.objects.filter(placed_by=actor, external_id=external_id)
        .values_list("pk", flat=True)
        .first()
    )
    if existing is not None:
        raise DomainError(
            "duplicate_external_id",
            _("Storefront order %(reference)s is already consumer order %(order)d.")
            % {"reference": external_id, "order": existing},
            fields={
                "external_id": [
                    _("Already used by consumer order %(order)d.") % {"order": existing}
                ]
            },
            kind=ErrorKind.CONFLICT,
        )


def _position(order: ConsumerOrder) -> StockPosition:
    """The stock position the order reserved from, locked (after the order: the lock order of
    every consumer order change)."""
    return StockPosition.objects.select_for_update().get(
        listing_id=order.listing_id, warehouse_id=order.warehouse_id
    )


def _sell(actor: User | None, now: datetime) -> Callable[[ConsumerOrder, ConsumerOrder], None]:
    def then(order: ConsumerOrder, before: ConsumerOrder) -> None:
        stock_sell(
            _position(order), order.quantity, reference=f"consumer_order:{order.pk}", actor=actor
        )
        Payable.objects.create(
            order=order,
            supplier_id=order.supplier_id,
            amount=order.unit_supply_price * order.quantity,
            recorded_at=now,
        )

    return then


def _release(actor: User | None) -> Callable[[ConsumerOrder, ConsumerOrder], None]:
    def then(order: ConsumerOrder, before: ConsumerOrder) -> None:
        stock_release(
            _position(order), order.quantity, reference=f"consumer_order:{order.pk}", actor=actor
        )

    return then


def consumer_order_fulfil(order: ConsumerOrder, *, actor: User | None) -> ConsumerOrder:
    """The parcel leaves the warehouse: the reservation becomes a sale, ownership passes to the
    platform, and the supplier's payable is recorded (at the supply price frozen on the
    order)."""
    now = timezone.now()
    return transition(
        order,
        CONSUMER_ORDER_MACHINE,
        Status.FULFILLED,
        actor=actor,
        changes={"fulfilled_at": now},
        then=_sell(actor, now),
        payload={
            "payable": str(order.unit_supply_price * order.quantity),
            "quantity": order.quantity,
        },
    )


def consumer_order_cancel(order: ConsumerOrder, *, actor: User | None) -> ConsumerOrder:
    """Cancelled before fulfilment: the reservation is released."""
    return transition(
        order,
        CONSUMER_ORDER_MACHINE,
        Status.CANCELLED,
        actor=actor,
        changes={"cancelled_at": timezone.now()},
        then=_release(actor),
    )
