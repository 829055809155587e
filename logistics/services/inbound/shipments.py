"""An inbound shipment's moves (`INBOUND_SHIPMENT_MACHINE`, logistics/models.py): booked with a
carrier and waybill or a pickup slot, in transit, arrived, receiving, received when every line is
counted, closed when every lot is inspected; cancelled until it leaves."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.states import transition

from ...models import (
    INBOUND_SHIPMENT_MACHINE,
    STOCKING_ORDER_MACHINE,
    InboundShipment,
    StockingOrder,
)
from .common import require_member, require_reason

SO = StockingOrder.Status
IS = InboundShipment.Status


def _ready_for(target: str, reason: str) -> Callable[[InboundShipment], None]:
    """What the shipment must be to make the move, checked on the locked row (once the table
    allows the move: a shipment already on its way is refused as such, reason or not)."""

    def check(locked: InboundShipment) -> None:
        if target == IS.CANCELLED:
            require_reason(reason, _("Say why the shipment is cancelled."))
        if target == IS.BOOKED and not (locked.waybill or locked.pickup_slot_id):
            raise DomainError(
                "not_bookable",
                _("Give a carrier and waybill, or wait for a pickup slot."),
                fields={"waybill": [_("Required.")]},
                kind=ErrorKind.INVALID,
            )
        if target == IS.IN_TRANSIT:
            order = StockingOrder.objects.select_for_update().get(pk=locked.stocking_order_id)
            if order.status not in (SO.ACCEPTED, SO.SHIPPED):
                raise DomainError(
                    "order_closed",
                    _("The stocking order is %(status)s: nothing more ships for it.")
                    % {"status": order.get_status_display()},
                )
        if target == IS.RECEIVED and locked.lines.filter(received__isnull=True).exists():
            raise DomainError("lines_uncounted", _("Count every line first."))
        if target == IS.CLOSED and locked.lines.filter(inspection__isnull=True).exists():
            raise DomainError("lines_uninspected", _("Inspect every line first."))

    return check


def _ship_stocking_order(actor: User | None) -> Callable[[InboundShipment, InboundShipment], None]:
    """The stocking order is shipped when the first of its shipments leaves (a later one finds
    it shipped already)."""

    def then(locked: InboundShipment, before: InboundShipment) -> None:
        transition(locked.stocking_order, STOCKING_ORDER_MACHINE, SO.SHIPPED, actor=actor)

    return then


def inbound_transition(
    shipment: InboundShipment, target: str, *, actor: User | None, reason: str = ""
) -> InboundShipment:
    """One move of the shipment, with what the target asks of it (a cancellation, a reason)."""
    reason = reason.strip()
    return transition(
        shipment,
        INBOUND_SHIPMENT_MACHINE,
        target,
        actor=actor,
        reason=reason,
        check=_ready_for(target, reason),
        then=_ship_stocking_order(actor) if target == IS.IN_TRANSIT else None,
    )


def inbound_book(shipment: InboundShipment, *, actor: User) -> InboundShipment:
    require_member(shipment.supplier_id, actor)
    return inbound_transition(shipment, IS.BOOKED, actor=actor)


def inbound_cancel(shipment: InboundShipment, *, actor: User, reason: str) -> InboundShipment:
    if not actor.is_staff:
        require_member(shipment.supplier_id, actor)
    return inbound_transition(shipment, IS.CANCELLED, actor=actor, reason=reason)
