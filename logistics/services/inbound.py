"""Stocking orders, inbound shipments, circular pickups, receiving and inspection: each move
through one function here, with an event (and so a webhook and a portal notification)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing
from catalogue.services.caps import stocking_cap
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event

from .. import sampling
from ..models import (
    InboundLine,
    InboundShipment,
    Inspection,
    PickupSlot,
    SamplingState,
    StockingOrder,
    StockLot,
    StockMovement,
    StockPosition,
    Warehouse,
)
from ..selectors import pickup_cluster_of
from .stock import position_for_update, stock_receive

SO = StockingOrder.Status
# Most units one stocking order, or one counted line, may hold.
MAX_UNITS = 1_000_000
IS = InboundShipment.Status


def _require_member(supplier_id: int, actor: User) -> None:
    membership = getattr(actor, "supplier_membership", None)
    if membership is None or membership.supplier_id != supplier_id:
        raise DomainError("not_found", _("Not found."), kind=ErrorKind.NOT_FOUND)


# --- Stocking orders ----------------------------------------------------------------------------


def listing_stocking_cap(listing: Listing) -> int | None:
    """The catalogue's stocking cap for this listing, from its inspections and sales."""
    sold = StockPosition.objects.filter(listing=listing).aggregate(n=Sum("sold"))["n"] or 0
    returned = (
        StockMovement.objects.filter(
            position__listing=listing, kind=StockMovement.Kind.RETURN
        ).aggregate(n=Sum("on_hand"))["n"]
        or 0
    )
    rate = None if not sold else Decimal(returned) / sold
    return stocking_cap(
        first_batch_passed=listing.first_batch_accepted_at is not None,
        return_rate=rate,
        units_sold=sold,
    )


def stocking_order_issue(
    listing: Listing,
    *,
    quantity: int,
    warehouse: Warehouse,
    actor: User | None,
    urgent: bool = False,
    now: datetime | None = None,
) -> StockingOrder:
    """The platform asks the listing's supplier to stock it (fully managed, live or paused for
    stock), within the stocking cap; the order lapses unshipped after 14 days (urgent: 7)."""
    if listing.mode != Listing.Mode.FULLY_MANAGED:
        raise DomainError(
            "not_fully_managed",
            _("Only fully-managed listings are stocked by the platform."),
            fields={"listing": [_("Not fully managed.")]},
            kind=ErrorKind.INVALID,
        )
    if not 1 <= quantity <= MAX_UNITS:
        raise DomainError(
            "invalid_quantity",
            _("Ask for between 1 and %(n)d units.") % {"n": MAX_UNITS},
            fields={"quantity": [_("Between 1 and %(n)d.") % {"n": MAX_UNITS}]},
            kind=ErrorKind.INVALID,
        )
    if not warehouse.is_active or warehouse.kind != Warehouse.Kind.HUB:
        raise DomainError(
            "invalid_warehouse",
            _("Stock goes to an active platform hub."),
            fields={"warehouse": [_("Not an active platform hub.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        cap = listing_stocking_cap(locked)
        if cap is not None:
            open_units = (
                StockingOrder.objects.filter(
                    listing=locked, status__in=StockingOrder.OPEN
                ).aggregate(n=Sum("quantity"))["n"]
                or 0
            )
            if open_units + quantity > cap:
                raise DomainError(
                    "over_stocking_cap",
                    _(
                        "A new listing may be stocked with at most %(cap)d units until its first "
                        "batch passes inspection (%(open)d already asked for)."
                    )
                    % {"cap": cap, "open": open_units},
                    fields={"quantity": [_("At most %(n)d.") % {"n": max(cap - open_units, 0)}]},
                    kind=ErrorKind.INVALID,
                )
        issued = now or timezone.now()
        days = settings.STOCKING_ORDER_URGENT_DAYS if urgent else settings.STOCKING_ORDER_DAYS
        order = StockingOrder.objects.create(
            supplier_id=locked.supplier_id,
            listing=locked,
            warehouse=warehouse,
            quantity=quantity,
            urgent=urgent,
            issued_at=issued,
            expires_at=issued + timedelta(days=days),
            issued_by=actor,
        )
        record_event(
            "stocking.issued",
            actor=actor,
            supplier_id=order.supplier_id,
            subject=order,
            payload={
                "listing": locked.pk,
                "quantity": quantity,
                "warehouse": warehouse.code,
                "expires_at": order.expires_at.isoformat(),
            },
        )
    return order


STOCKING_MOVES: dict[str, set[str]] = {
    SO.ACCEPTED: {SO.ISSUED},
    SO.DECLINED: {SO.ISSUED},
    SO.SHIPPED: {SO.ACCEPTED},
    SO.LAPSED: {SO.ISSUED, SO.ACCEPTED},
    SO.CANCELLED: {SO.ISSUED, SO.ACCEPTED},
}


def stocking_order_transition(
    order: StockingOrder, target: str, *, actor: User | None, reason: str = ""
) -> StockingOrder:
    with transaction.atomic():
        locked = StockingOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status not in STOCKING_MOVES[target]:
            raise DomainError(
                "invalid_transition",
                _("A stocking order that is %(status)s cannot become %(target)s.")
                % {"status": locked.get_status_display(), "target": SO(target).label},
            )
        previous = locked.status
        locked.status, locked.status_reason = target, reason
        locked.save(update_fields=["status", "status_reason"])
        record_event(
            f"stocking.{target}",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            reason=reason,
            payload={"from": previous, "to": target},
        )
    order.status, order.status_reason = locked.status, locked.status_reason
    return locked


def stocking_order_accept(order: StockingOrder, *, actor: User) -> StockingOrder:
    _require_member(order.supplier_id, actor)
    return stocking_order_transition(order, SO.ACCEPTED, actor=actor)


def stocking_order_decline(order: StockingOrder, *, actor: User, reason: str) -> StockingOrder:
    _require_member(order.supplier_id, actor)
    if not reason.strip():
        raise DomainError(
            "reason_required",
            _("Say why."),
            fields={"reason": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return stocking_order_transition(order, SO.DECLINED, actor=actor, reason=reason.strip())


def lapse_stocking_orders(*, now: datetime | None = None) -> int:
    """Open stocking orders past their expiry with nothing on the way lapse. Returns how many."""
    now = now or timezone.now()
    lapsed = 0
    due = StockingOrder.objects.filter(status__in=StockingOrder.OPEN, expires_at__lte=now).exclude(
        shipments__status__in=[IS.IN_TRANSIT, IS.ARRIVED, IS.RECEIVING, IS.RECEIVED, IS.CLOSED]
    )
    for order in due.order_by("pk").iterator():
        try:
            stocking_order_transition(
                order, SO.LAPSED, actor=None, reason=_("Not shipped before it expired.")
            )
        except DomainError:
            continue  # moved meanwhile
        lapsed += 1
    return lapsed


# --- Inbound shipments --------------------------------------------------------------------------


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
    _require_member(order.supplier_id, actor)
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


INBOUND_MOVES: dict[str, set[str]] = {
    IS.BOOKED: {IS.DRAFT},
    IS.IN_TRANSIT: {IS.BOOKED},
    IS.ARRIVED: {IS.IN_TRANSIT},
    IS.RECEIVING: {IS.ARRIVED},
    IS.RECEIVED: {IS.RECEIVING},
    IS.CLOSED: {IS.RECEIVED},
    IS.CANCELLED: {IS.DRAFT, IS.BOOKED},
}


def inbound_transition(
    shipment: InboundShipment, target: str, *, actor: User | None, reason: str = ""
) -> InboundShipment:
    """One move of the shipment's states, checked on the locked row."""
    with transaction.atomic():
        locked = InboundShipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.status not in INBOUND_MOVES[target]:
            raise DomainError(
                "invalid_transition",
                _("A shipment that is %(status)s cannot become %(target)s.")
                % {"status": locked.get_status_display(), "target": IS(target).label},
            )
        if target == IS.BOOKED and not (locked.waybill or locked.pickup_slot_id):
            raise DomainError(
                "not_bookable",
                _("Give a carrier and waybill, or wait for a pickup slot."),
                fields={"waybill": [_("Required.")]},
                kind=ErrorKind.INVALID,
            )
        if target == IS.RECEIVED and locked.lines.filter(received__isnull=True).exists():
            raise DomainError("lines_uncounted", _("Count every line first."))
        if target == IS.CLOSED and locked.lines.filter(inspection__isnull=True).exists():
            raise DomainError("lines_uninspected", _("Inspect every line first."))
        previous = locked.status
        locked.status = target
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at"])
        if target == IS.IN_TRANSIT:
            order = StockingOrder.objects.select_for_update().get(pk=locked.stocking_order_id)
            if order.status == SO.ACCEPTED:  # the first of its shipments to leave
                stocking_order_transition(order, SO.SHIPPED, actor=actor)
            elif order.status != SO.SHIPPED:
                raise DomainError(
                    "order_closed",
                    _("The stocking order is %(status)s: nothing more ships for it.")
                    % {"status": order.get_status_display()},
                )
        record_event(
            f"inbound.{target}",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            reason=reason,
            payload={"from": previous, "to": target},
        )
    shipment.status = locked.status
    return locked


def inbound_book(shipment: InboundShipment, *, actor: User) -> InboundShipment:
    _require_member(shipment.supplier_id, actor)
    return inbound_transition(shipment, IS.BOOKED, actor=actor)


def inbound_cancel(shipment: InboundShipment, *, actor: User, reason: str = "") -> InboundShipment:
    if not actor.is_staff:
        _require_member(shipment.supplier_id, actor)
    return inbound_transition(shipment, IS.CANCELLED, actor=actor, reason=reason)


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
        if slot.date < timezone.localdate():
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


# --- Receiving and inspection -------------------------------------------------------------------


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


@dataclass(frozen=True)
class InspectionPlan:
    plan: sampling.Plan
    severity_reason: str
    discontinued: bool


def _state_for_update(supplier_id: int, product_id: int) -> SamplingState:
    SamplingState.objects.get_or_create(supplier_id=supplier_id, product_id=product_id)
    return SamplingState.objects.select_for_update().get(
        supplier_id=supplier_id, product_id=product_id
    )


def inspection_plan(line: InboundLine) -> InspectionPlan:
    """What the inspector must do for this lot: severity (and why), letter, n, Ac, Re."""
    listing = Listing.objects.select_related("product__category").get(pk=line.listing_id)
    state = SamplingState.objects.filter(
        supplier_id=listing.supplier_id, product_id=listing.product_id
    ).first()
    severity = state.severity if state else sampling.NORMAL
    reason = state.reason if state else _("normal inspection")
    discontinued = severity == sampling.DISCONTINUED
    lot = max(line.sound, 1)
    plan = sampling.plan(
        lot,
        listing.product.category.effective_aql,
        sampling.TIGHTENED if discontinued else severity,
    )
    return InspectionPlan(plan, reason, discontinued)


def line_inspect(
    line: InboundLine,
    *,
    defects: int,
    actor: User,
    notes: str = "",
    resubmitted: bool = False,
) -> Inspection:
    """Record the inspection of a counted lot. Accepted: its sound units become consignment
    stock (a receipt) and the listing's first accepted batch is noted. Rejected: the lot goes
    back to the supplier at its cost. Original inspections move the switching rules."""
    with transaction.atomic():
        shipment = InboundShipment.objects.select_for_update().get(pk=line.shipment_id)
        line = InboundLine.objects.get(pk=line.pk)
        if shipment.status not in (IS.RECEIVING, IS.RECEIVED) or line.received is None:
            raise DomainError("not_counted", _("Count the line before inspecting it."))
        if Inspection.objects.filter(line=line).exists():
            raise DomainError("already_inspected", _("This lot has been inspected."))
        listing = Listing.objects.select_related("product__category").get(pk=line.listing_id)
        state = _state_for_update(listing.supplier_id, listing.product_id)
        if state.severity == sampling.DISCONTINUED:
            raise DomainError(
                "inspection_discontinued",
                _(
                    "Inspection of this supplier's lots of this product is discontinued until "
                    "an operator records a corrective action."
                ),
            )
        plan = sampling.plan(
            max(line.sound, 1), listing.product.category.effective_aql, state.severity
        )
        if defects < 0 or defects > plan.sample_size:
            raise DomainError(
                "invalid_defects",
                _("Defectives are counted in the sample of %(n)d.") % {"n": plan.sample_size},
                fields={"defects": [_("Between 0 and %(n)d.") % {"n": plan.sample_size}]},
                kind=ErrorKind.INVALID,
            )
        accepted = line.sound > 0 and plan.accepts(defects)
        inspection = Inspection.objects.create(
            line=line,
            supplier_id=listing.supplier_id,
            product_id=listing.product_id,
            lot_size=line.sound,
            aql=plan.aql,
            severity=state.severity,
            severity_reason=state.reason,
            letter=plan.letter,
            sample_size=plan.sample_size,
            accept_number=plan.accept,
            reject_number=plan.reject,
            defects=defects,
            notes=notes.strip(),
            resubmitted=resubmitted,
            result=Inspection.Result.ACCEPTED if accepted else Inspection.Result.REJECTED,
            inspector=actor,
        )
        if accepted:
            position = position_for_update(listing, shipment.warehouse)
            stock_receive(
                position, line.sound, reference=f"inspection:{inspection.pk}", actor=actor
            )
            StockLot.objects.create(
                position=position,
                inspection=inspection,
                received_at=inspection.inspected_at,
                quantity=line.sound,
                remaining=line.sound,
            )
            if listing.first_batch_accepted_at is None:
                Listing.objects.filter(pk=listing.pk, first_batch_accepted_at__isnull=True).update(
                    first_batch_accepted_at=inspection.inspected_at
                )
        if not resubmitted and line.sound > 0:
            # A lot with nothing sound to sample says nothing about the process: it is recorded
            # (rejected: nothing to accept) but moves no switching rule.
            _switch(state, actor)
        record_event(
            f"inspection.{inspection.result}",
            actor=actor,
            supplier_id=listing.supplier_id,
            subject=inspection,
            reason=(
                ""
                if accepted
                else _("Lot rejected: it goes back to the supplier at the supplier's cost.")
            ),
            payload={
                "line": line.pk,
                "lot_size": line.sound,
                "severity": inspection.severity,
                "letter": plan.letter,
                "sample_size": plan.sample_size,
                "accept": plan.accept,
                "reject": plan.reject,
                "defects": defects,
            },
        )
    return inspection


def _switch(state: SamplingState, actor: User | None) -> None:
    spell = list(
        Inspection.objects.filter(
            supplier_id=state.supplier_id,
            product_id=state.product_id,
            resubmitted=False,
            severity=state.severity,
            inspected_at__gte=state.since,
        )
        .order_by("inspected_at", "pk")
        .values_list("result", flat=True)
    )
    switch = sampling.next_severity(
        state.severity, [result == Inspection.Result.ACCEPTED for result in spell]
    )
    if switch.severity == state.severity:
        return
    previous = state.severity
    state.severity, state.reason, state.since = switch.severity, switch.reason, timezone.now()
    state.save(update_fields=["severity", "reason", "since"])
    record_event(
        "inspection.severity_changed",
        actor=actor,
        supplier_id=state.supplier_id,
        subject=state,
        reason=switch.reason,
        payload={"product": state.product_id, "from": previous, "to": switch.severity},
    )


def sampling_restart(state: SamplingState, *, actor: User, corrective_action: str) -> SamplingState:
    """An operator records the supplier's corrective action: inspection restarts on tightened."""
    if not corrective_action.strip():
        raise DomainError(
            "reason_required",
            _("Record the corrective action."),
            fields={"corrective_action": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        locked = SamplingState.objects.select_for_update().get(pk=state.pk)
        if locked.severity != sampling.DISCONTINUED:
            raise DomainError("not_discontinued", _("Inspection is not discontinued."))
        locked.severity = sampling.TIGHTENED
        locked.reason = _("restarted on tightened after a corrective action")
        locked.since = timezone.now()
        locked.save(update_fields=["severity", "reason", "since"])
        record_event(
            "inspection.severity_changed",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            reason=corrective_action.strip(),
            payload={"product": locked.product_id, "from": "discontinued", "to": "tightened"},
        )
    return locked


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
