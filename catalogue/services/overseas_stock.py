"""A semi-managed seller's overseas stock held for consumer orders (SPEC, "Outbound parcels":
semi-managed orders ship from the seller's own warehouse in the market). An order reserves units
the seller reported and has not promised yet; the seller's shipment is the sale (the units leave
its stock and the reservation); a cancelled order gives them back. The row is locked for each
change, so concurrent orders never promise more than was reported (and the table's CHECK
`overseas_reserved_ok` keeps it so whatever the code)."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind

from ..models import Listing, OverseasStock
from .listings import available_stock, listing_stock_changed


def _locked(listing_id: int, market: str) -> OverseasStock | None:
    return (
        OverseasStock.objects.select_for_update()
        .filter(listing_id=listing_id, market=market)
        .first()
    )


def overseas_stock_reserve(listing: Listing, market: str, quantity: int) -> OverseasStock:
    """Hold `quantity` units of the seller's stock in `market` for an order; refused (409
    `out_of_stock`, naming what is free) when the seller reports fewer unreserved units there,
    and (422 `no_overseas_stock`) where it reports no stock at all."""
    stock = _locked(listing.pk, market)
    if stock is None:
        raise DomainError(
            "no_overseas_stock",
            _("The seller reports no stock in %(market)s, so it does not sell there.")
            % {"market": market},
            fields={"market": [_("The seller has no stock in this market.")]},
            kind=ErrorKind.INVALID,
        )
    free = stock.quantity - stock.reserved
    if free < quantity:
        raise DomainError(
            "out_of_stock",
            _("Only %(n)d available.") % {"n": max(free, 0)},
            fields={"quantity": [_("Only %(n)d available.") % {"n": max(free, 0)}]},
        )
    OverseasStock.objects.filter(pk=stock.pk).update(reserved=F("reserved") + quantity)
    stock.reserved += quantity
    return stock


def overseas_stock_release(listing_id: int, market: str, quantity: int) -> None:
    """A cancelled order's units are free again (never below zero reserved)."""
    stock = _locked(listing_id, market)
    if stock is None:
        return
    OverseasStock.objects.filter(pk=stock.pk).update(reserved=max(stock.reserved - quantity, 0))


def overseas_stock_sell(
    listing: Listing, market: str, quantity: int, *, actor: User | None
) -> None:
    """The seller shipped: the units leave its stock and the reservation; the listing pauses
    when no stock is left anywhere (the stock rule)."""
    stock = _locked(listing.pk, market)
    if stock is None or stock.reserved < quantity or stock.quantity < quantity:
        raise DomainError(
            "not_reserved",
            _("These units are not reserved in the seller's stock."),
            fields={"quantity": [_("Not reserved.")]},
        )
    OverseasStock.objects.filter(pk=stock.pk).update(
        quantity=F("quantity") - quantity, reserved=F("reserved") - quantity
    )
    listing_stock_changed(listing, available_stock(listing), actor=actor)
