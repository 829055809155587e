"""Consumer orders, fulfilled from consignment stock (SPEC, "Consignment inventory") or, on a
semi-managed listing, from the seller's own overseas stock in the market. An order reserves stock
and freezes the retail price it was sold at and where it goes; fulfilment is the sale: ownership
passes to the platform (the seller's shipment, for a semi-managed order) and the supplier's
payable is recorded at the supply price frozen on the order. A JIT listing with no stock makes a
JIT order instead. Parcels are shipping's: it calls these services from its doors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing, ListingPrice
from catalogue.services.overseas_stock import (
    overseas_stock_release,
    overseas_stock_reserve,
    overseas_stock_sell,
)
from logistics.models import StockPosition, Warehouse
from logistics.services.stock import listing_available, stock_release, stock_reserve, stock_sell
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.markets import MARKET_COUNTRIES, MARKET_DEFAULT_COUNTRY
from marketplace.states import transition
from suppliers.models import Supplier

from ..models import CONSUMER_ORDER_MACHINE, ConsumerOrder, JitOrder, Payable
from .orders import compliance_gate, jit_order_create

Status = ConsumerOrder.Status


def consumer_order_create(
    *,
    listing_id: int,
    quantity: int,
    external_id: str,
    market: str,
    actor: User,
    country: str | None = None,
) -> ConsumerOrder | JitOrder:
    """Reserve stock for a storefront order: consignment stock for a fully-managed listing (a
    JIT listing without stock makes a JIT order instead, the JIT rules apply to it), the seller's
    reported overseas stock in the market for a semi-managed one. The retail price of the market
    and the consumer's country (the market's own when not given) are frozen on the order."""
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
    if quantity < 1:
        raise DomainError(
            "invalid_quantity",
            _("Order at least one unit."),
            fields={"quantity": [_("At least 1.")]},
            kind=ErrorKind.INVALID,
        )
    destination = _destination(market, country)
    price = _refuse_unsellable(listing, market)
    _refuse_reused_reference(actor, external_id)
    if listing.mode == Listing.Mode.SEMI_MANAGED:
        return _semi_managed_create(
            listing, quantity, external_id, market, destination, price, actor
        )
    if listing.is_jit and listing_available(listing.pk, market) < quantity:
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
            listing, quantity, reference=f"storefront:{external_id}", actor=actor, market=market
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
                    country=destination,
                    quantity=quantity,
                    unit_price=price.amount,
                    currency=price.currency,
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


def _semi_managed_create(
    listing: Listing,
    quantity: int,
    external_id: str,
    market: str,
    country: str,
    price: ListingPrice,
    actor: User,
) -> ConsumerOrder:
    """A semi-managed order: accepted only where the seller reports enough unreserved stock,
    which it reserves (the row locked: concurrent orders never promise more than reported). No
    platform warehouse: the seller ships it."""
    if listing.status != Listing.Status.LIVE:
        raise DomainError("listing_not_live", _("This listing is not live."))
    if listing.supply_price_cny is None:
        raise DomainError("no_supply_price", _("This listing has no agreed supply price."))
    compliance_gate(listing, market)
    with transaction.atomic():
        overseas_stock_reserve(listing, market, quantity)
        try:
            with transaction.atomic():
                order = ConsumerOrder.objects.create(
                    listing=listing,
                    supplier_id=listing.supplier_id,
                    warehouse=None,
                    external_id=external_id,
                    placed_by=actor,
                    market=market,
                    country=country,
                    quantity=quantity,
                    unit_price=price.amount,
                    currency=price.currency,
                    unit_supply_price=listing.supply_price_cny,
                )
        except IntegrityError:
            _refuse_reused_reference(actor, external_id)
            raise
        record_event(
            "consumer_order.reserved",
            actor=actor,
            supplier_id=order.supplier_id,
            subject=order,
            payload={"listing": listing.pk, "quantity": quantity, "warehouse": None},
        )
    return order


def _destination(market: str, country: str | None) -> str:
    """The consumer's country: one of the market's (an EU member state for the EU, GB for the
    UK, ...); the market's own when not given (the EU has none: it must be given)."""
    countries = MARKET_COUNTRIES.get(market)
    if countries is None:
        raise DomainError(
            "unknown_market",
            _("Unknown market."),
            fields={"market": [_("Unknown.")]},
            kind=ErrorKind.INVALID,
        )
    value = (country or "").strip().upper()
    if not value:
        default = MARKET_DEFAULT_COUNTRY.get(market)
        if default is None:
            raise DomainError(
                "country_required",
                _("Say which country of %(market)s the consumer lives in.") % {"market": market},
                fields={"country": [_("Required in this market.")]},
                kind=ErrorKind.INVALID,
            )
        return default
    if value not in countries:
        raise DomainError(
            "country_not_in_market",
            _("%(country)s is not a country of the %(market)s market.")
            % {"country": value, "market": market},
            fields={"country": [_("Not a country of this market.")]},
            kind=ErrorKind.INVALID,
        )
    return value


def _refuse_unsellable(listing: Listing, market: str) -> ListingPrice:
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
    price = ListingPrice.objects.filter(listing=listing, market=market).first()
    if price is None:
        raise DomainError(
            "no_retail_price",
            _("This listing has no retail price in %(market)s, so it is not sold there.")
            % {"market": market},
            fields={"market": [_("No retail price in this market.")]},
            kind=ErrorKind.INVALID,
        )
    return price


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
    assert order.warehouse_id is not None  # consignment stock: a semi-managed order has none
    return StockPosition.objects.select_for_update().get(
        listing_id=order.listing_id, warehouse_id=order.warehouse_id
    )


def _sell(
    actor: User | None, now: datetime, owed: Decimal
) -> Callable[[ConsumerOrder, ConsumerOrder], None]:
    def then(order: ConsumerOrder, before: ConsumerOrder) -> None:
        if order.warehouse_id is None:
            overseas_stock_sell(order.listing, order.market, order.quantity, actor=actor)
        else:
            stock_sell(
                _position(order),
                order.quantity,
                reference=f"consumer_order:{order.pk}",
                actor=actor,
            )
        if owed:
            Payable.objects.create(
                order=order, supplier_id=order.supplier_id, amount=owed, recorded_at=now
            )

    return then


def _owes_supplier(order: ConsumerOrder) -> Decimal:
    """What the sale owes the supplier: its units at the frozen supply price, unless they are
    the platform's already (returned units restocked at a return centre, bought at their first
    sale)."""
    warehouse_id = order.warehouse_id
    if (
        warehouse_id is not None
        and Warehouse.objects.filter(pk=warehouse_id, kind=Warehouse.Kind.RETURN_CENTRE).exists()
    ):
        return Decimal("0.00")
    return order.unit_supply_price * order.quantity


def _release(actor: User | None) -> Callable[[ConsumerOrder, ConsumerOrder], None]:
    def then(order: ConsumerOrder, before: ConsumerOrder) -> None:
        if order.warehouse_id is None:
            overseas_stock_release(order.listing_id, order.market, order.quantity)
            return
        stock_release(
            _position(order), order.quantity, reference=f"consumer_order:{order.pk}", actor=actor
        )

    return then


def consumer_order_fulfil(order: ConsumerOrder, *, actor: User | None) -> ConsumerOrder:
    """The sale: the order leaves the platform's warehouse (the seller's, for a semi-managed
    order), the reservation becomes a sale, ownership passes to the platform, and the supplier's
    payable is recorded (at the supply price frozen on the order). Its parcels are shipping's
    (shipping.services.parcels, which calls this)."""
    now = timezone.now()
    owed = _owes_supplier(order)
    return transition(
        order,
        CONSUMER_ORDER_MACHINE,
        Status.FULFILLED,
        actor=actor,
        changes={"fulfilled_at": now},
        then=_sell(actor, now, owed),
        payload={"payable": str(owed), "quantity": order.quantity},
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
