"""The supplier's advance notice of an inbound shipment for an accepted stocking order: its lines,
then a carrier and waybill, or a circular pickup."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event

from ...models import InboundLine, InboundShipment, StockingOrder
from ...selectors import pickup_cluster_of
from .common import require_member

SO = StockingOrder.Status
IS = InboundShipment.Status


@dataclass(frozen=True)
class LineIn:
    listing_id: int
    declared: int


def inbound_create(
    order: StockingOrder,
    *,
    actor: User,
    lines: list[LineIn] | None = None,
    carrier: str = "",
    waybill: str = "",
    pickup: bool = False,
) -> InboundShipment:
    """The supplier's advance notice for an accepted stocking order: lines (default: the whole
    order), then a carrier and waybill, or a circular pickup if its cluster is served."""
    require_member(order.supplier_id, actor)
    if order.status != SO.ACCEPTED:
        raise DomainError("not_accepted", _("Accept the stocking order first."))
    lines = lines or [LineIn(order.listing_id, order.quantity)]
    errors: dict[str, list[str]] = {}
    for i, line in enumerate(lines):
        if line.listing_id != order.listing_id:
            errors[f"lines[{i}].listing"] = [_("Not the listing of this stocking order.")]
        if line.declared < 1:
            errors[f"lines[{i}].declared"] = [_("At least 1.")]
    sent = (
        InboundLine.objects.filter(shipment__stocking_order=order)
        .exclude(shipment__status=IS.CANCELLED)
        .aggregate(n=Sum("declared"))["n"]
        or 0
    )
    if not errors and sent + sum(line.declared for line in lines) > order.quantity:
        errors[f"lines[{len(lines) - 1}].declared"] = [
            _("The stocking order asks for %(n)d units; %(sent)d are already on their way.")
            % {"n": order.quantity, "sent": sent}
        ]
    if pickup and pickup_cluster_of(order.supplier_id) is None:
        errors["pickup"] = [_("None of your factories is in a cluster our pickups serve.")]
    if not pickup and bool(carrier.strip()) != bool(waybill.strip()):
        errors["waybill" if carrier.strip() else "carrier"] = [_("Give both carrier and waybill.")]
    if errors:
        raise DomainError(
            "invalid_shipment",
            _("The shipment notice has errors."),
            fields=errors,
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        shipment = InboundShipment.objects.create(
            supplier_id=order.supplier_id,
            stocking_order=order,
            warehouse=order.warehouse,
            carrier=carrier.strip(),
            waybill=waybill.strip().upper(),
            pickup_requested=pickup,
        )
        InboundLine.objects.bulk_create(
            InboundLine(shipment=shipment, listing_id=line.listing_id, declared=line.declared)
            for line in lines
        )
        record_event(
            "inbound.created",
            actor=actor,
            supplier_id=shipment.supplier_id,
            subject=shipment,
            payload={"stocking_order": order.pk, "pickup": pickup},
        )
    return shipment
