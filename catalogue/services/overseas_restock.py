"""Sound units of a semi-managed listing that a consumer sent back go back into the seller's
overseas stock in that market (the seller's own goods, in its own warehouse)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind

from ..models import Listing, OverseasStock
from .listings import available_stock, listing_stock_changed


def overseas_stock_restock(
    listing: Listing, *, market: str, quantity: int, actor: User | None
) -> OverseasStock:
    """Add returned units to the listing's overseas stock in `market` (made when the seller
    reported none there); the listing then resumes by the stock rule if it had run out."""
    if listing.mode != Listing.Mode.SEMI_MANAGED:
        raise DomainError(
            "not_semi_managed",
            _("Only semi-managed listings keep overseas stock."),
            fields={"listing": [_("Not a semi-managed listing.")]},
            kind=ErrorKind.INVALID,
        )
    if quantity < 1:
        raise DomainError(
            "invalid_quantity",
            _("Restock at least one unit."),
            fields={"quantity": [_("At least 1.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        stock, _created = OverseasStock.objects.get_or_create(
            listing=listing, market=market, defaults={"quantity": 0}
        )
        OverseasStock.objects.filter(pk=stock.pk).update(quantity=F("quantity") + quantity)
        stock.refresh_from_db(fields=["quantity"])
        listing_stock_changed(listing, available_stock(listing), actor=actor)
    return stock
