"""Receiving: the warehouse counts what arrived, line by line; over, short and damaged units are
the supplier's discrepancies. The first count starts receiving."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event

from ...models import InboundLine, InboundShipment, Inspection
from .common import MAX_UNITS
from .shipments import inbound_transition

IS = InboundShipment.Status


def line_count(line: InboundLine, *, received: int, damaged: int, actor: User) -> InboundLine:
    """Receiving counts a line: over, short and damaged units are the supplier's discrepancies."""
    if received > MAX_UNITS:
        raise DomainError(
            "invalid_count",
            _("At most %(n)d units per line.") % {"n": MAX_UNITS},
            fields={"received": [_("At most %(n)d.") % {"n": MAX_UNITS}]},
            kind=ErrorKind.INVALID,
        )
    if received < 0 or damaged < 0 or damaged > received:
        raise DomainError(
            "invalid_count",
            _("Damaged units are part of the received count."),
            fields={"damaged": [_("Between 0 and the received count.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        shipment = InboundShipment.objects.select_for_update().get(pk=line.shipment_id)
        if Inspection.objects.filter(line_id=line.pk).exists():
            raise DomainError("already_inspected", _("This lot has been inspected."))
        if shipment.status == IS.ARRIVED:
            inbound_transition(shipment, IS.RECEIVING, actor=actor)
        elif shipment.status != IS.RECEIVING:
            raise DomainError("not_receiving", _("The shipment has not arrived."))
        InboundLine.objects.filter(pk=line.pk).update(
            received=received, damaged=damaged, counted_at=timezone.now()
        )
        line.received, line.damaged = received, damaged
        record_event(
            "inbound.counted",
            actor=actor,
            supplier_id=shipment.supplier_id,
            subject=shipment,
            payload={
                "line": line.pk,
                "declared": line.declared,
                "received": received,
                "damaged": damaged,
                "discrepancy": received - line.declared,
            },
        )
    return line


def shipment_discrepancies(shipment: InboundShipment) -> list[dict[str, Any]]:
    """Per counted line: declared, received, damaged and over/short (what the supplier sees)."""
    return [
        {
            "line": line,
            "over_short": line.discrepancy,
            "damaged": line.damaged,
        }
        for line in shipment.lines.all()
        if line.received is not None and (line.discrepancy or line.damaged)
    ]
