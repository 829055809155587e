"""Circular pickups (SPEC, "Consignment inventory and logistics"): a supplier whose factory is in
a served industrial cluster asks for a pickup instead of a carrier; an operator puts the shipment
on a slot of its cluster, which books it."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event

from ...models import InboundShipment, PickupSlot
from ...selectors import pickup_cluster_of, pickup_today
from .shipments import inbound_transition

IS = InboundShipment.Status


def pickup_assign(shipment: InboundShipment, slot: PickupSlot, *, actor: User) -> InboundShipment:
    """An operator puts a shipment that asked for a pickup on a slot of its cluster; it is then
    booked."""
    with transaction.atomic():
        locked = InboundShipment.objects.select_for_update().get(pk=shipment.pk)
        cluster = pickup_cluster_of(locked.supplier_id)
        if not locked.pickup_requested or cluster is None or slot.cluster_id != cluster.pk:
            raise DomainError(
                "wrong_cluster",
                _("This shipment did not ask for a pickup in that slot's cluster."),
                fields={"pickup_slot": [_("Not this supplier's cluster.")]},
                kind=ErrorKind.INVALID,
            )
        if locked.status not in (IS.DRAFT, IS.BOOKED):
            raise DomainError(
                "invalid_transition",
                _("A shipment that is %(status)s gets no pickup.")
                % {"status": locked.get_status_display()},
            )
        if slot.warehouse_id != locked.warehouse_id:
            raise DomainError(
                "wrong_warehouse",
                _("That pickup run delivers to another warehouse."),
                fields={"pickup_slot": [_("Another warehouse.")]},
                kind=ErrorKind.INVALID,
            )
        if slot.date < pickup_today():
            raise DomainError(
                "slot_past",
                _("That pickup slot is in the past."),
                fields={"pickup_slot": [_("Past.")]},
                kind=ErrorKind.INVALID,
            )
        locked.pickup_slot = slot
        locked.save(update_fields=["pickup_slot"])
        record_event(
            "inbound.pickup_scheduled",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            payload={"date": slot.date.isoformat(), "window": slot.window},
        )
        if locked.status == IS.DRAFT:
            inbound_transition(locked, IS.BOOKED, actor=actor)
    locked.refresh_from_db()
    return locked
