"""Inspection of each counted lot (SPEC, ISO 2859-1 single sampling, general level II, AQL by
category; the tables are logistics.sampling): an accepted lot's sound units become consignment
stock, a rejected one goes back to the supplier; original inspections move the switching rules
(normal, tightened, discontinued)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event

from ... import sampling
from ...models import InboundLine, InboundShipment, Inspection, SamplingState, StockLot
from ..stock import position_for_update, stock_receive

IS = InboundShipment.Status


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
