"""Overstock: consignment stock unsold for OVERSTOCK_DAYS is offered back to its supplier, who
takes it back at its freight or leaves it for a markdown an operator decides. So is the stock of
a dead-stock listing (no order for RESTOCK_DEAD_DAYS: `Listing.dead_stock_since`, set by the
restock planning run), whatever its age: nobody is buying it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.states import transition
from suppliers.selectors import supplier_id_for

from ..models import OVERSTOCK_OFFER_MACHINE, OverstockOffer, StockLot, StockMovement, StockPosition
from .stock import stock_remove

Status = OverstockOffer.Status


def offer_overstock(*, now: datetime | None = None) -> int:
    """Offer every lot with units left that has no offer yet and is older than OVERSTOCK_DAYS,
    or is of a dead-stock listing (daily job). Returns how many offers were made."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OVERSTOCK_DAYS)
    made = 0
    lots = (
        StockLot.objects.filter(remaining__gt=0, overstock_offer__isnull=True)
        .filter(Q(received_at__lt=cutoff) | Q(position__listing__dead_stock_since__isnull=False))
        .select_related("position__listing")
    )
    for lot in lots.order_by("pk").iterator():
        with transaction.atomic():
            offer, created = OverstockOffer.objects.get_or_create(
                lot=lot,
                defaults={"supplier_id": lot.position.supplier_id, "quantity": lot.remaining},
            )
            if not created:
                continue
            record_event(
                "overstock.offered",
                actor=None,
                supplier_id=offer.supplier_id,
                subject=offer,
                reason=_unsold_because(lot, cutoff),
                payload={
                    "listing": lot.position.listing_id,
                    "quantity": offer.quantity,
                    "received_at": lot.received_at.isoformat(),
                },
            )
            made += 1
    return made


def _unsold_because(lot: StockLot, cutoff: datetime) -> str:
    dead_since = lot.position.listing.dead_stock_since
    if lot.received_at < cutoff or dead_since is None:
        return _("Unsold for %(days)d days.") % {"days": settings.OVERSTOCK_DAYS}
    return _("No orders since %(day)s (dead stock).") % {"day": f"{dead_since:%Y-%m-%d}"}


def _require_member(offer: OverstockOffer, actor: User) -> None:
    if supplier_id_for(actor) != offer.supplier_id:
        raise DomainError("not_found", _("Not found."), kind=ErrorKind.NOT_FOUND)


def _return_to_supplier(actor: User) -> Callable[[OverstockOffer, OverstockOffer], None]:
    """In the move's transaction: the lot's available units leave, and the offer keeps how many
    that was."""

    def then(offer: OverstockOffer, before: OverstockOffer) -> None:
        # Position, then lot: the order every stock change locks them in.
        position_id = StockLot.objects.values_list("position_id", flat=True).get(pk=offer.lot_id)
        position = StockPosition.objects.select_for_update().get(pk=position_id)
        lot = StockLot.objects.select_for_update().get(pk=offer.lot_id)
        quantity = min(lot.remaining, position.available)
        if quantity > 0:
            stock_remove(
                position,
                quantity,
                StockMovement.Kind.RETURN_TO_SUPPLIER,
                reference=f"overstock:{offer.pk}",
                actor=actor,
                lot=lot,
            )
        if quantity != offer.quantity:
            offer.quantity = quantity
            offer.save(update_fields=["quantity"])

    return then


def overstock_take_back(offer: OverstockOffer, *, actor: User) -> OverstockOffer:
    """The supplier takes the units back at its freight: what is still available of the lot
    leaves as a return to the supplier."""
    _require_member(offer, actor)
    return transition(
        offer,
        OVERSTOCK_OFFER_MACHINE,
        Status.RETURNED,
        actor=actor,
        then=_return_to_supplier(actor),
        # The units offered; the offer then keeps how many actually left.
        payload={"quantity": offer.quantity},
    )


def overstock_leave(offer: OverstockOffer, *, actor: User) -> OverstockOffer:
    """The supplier leaves the units for a markdown."""
    _require_member(offer, actor)
    return transition(
        offer,
        OVERSTOCK_OFFER_MACHINE,
        Status.LEFT_FOR_MARKDOWN,
        actor=actor,
        payload={"quantity": offer.quantity},
    )


def overstock_mark_down(offer: OverstockOffer, *, actor: User, note: str) -> OverstockOffer:
    """An operator records the markdown decided for units left to it."""
    if not note.strip():
        raise DomainError(
            "reason_required",
            _("Say what markdown."),
            fields={"note": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return transition(
        offer,
        OVERSTOCK_OFFER_MACHINE,
        Status.MARKED_DOWN,
        actor=actor,
        reason=note.strip(),
        changes={"markdown_note": note.strip()},
        payload={"quantity": offer.quantity},
    )
