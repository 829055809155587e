"""Quarantine (SPEC, "Compliance", Enforcement; issue 12): a failed test quarantines the stock
of the lot the sample came from. Logistics owns the stock, so it reads compliance's cases here
(compliance sits below it and never touches stock).

What a case quarantines, by what its test record names:

- a stock lot: that lot's remaining units, in the lot's position;
- an inbound line: the lot its inspection made (its remaining units, in its position); nothing
  while the line has not been accepted into stock (a later run finds it);
- neither: every available consignment unit of the listings the case holds (the supplier's
  listings of the product, in every warehouse), since no one can tell good units from bad.

Only available units are quarantined: units already reserved stay with their orders. A
quarantine is a movement out of `available` that leaves `on_hand` alone (not sellable, not
lost) and out of the lots' unsold units (so no sale, overstock offer or stock age counts them);
the listing's stock rule (pause when nothing is available) sees the change after the
commit, as for any movement. An officer releases the units (back to available) or writes them
off (out of on hand, from the lot first). An overturned case's held units are released by the
job.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext as _

from accounts.models import User
from compliance.models import EnforcementCase, MarketHold
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.states import transition

from ..models import QUARANTINE_MACHINE, Quarantine, StockLot, StockMovement, StockPosition
from .stock import _move, _take_fifo

Kind = StockMovement.Kind
Status = Quarantine.Status


@dataclass(frozen=True)
class _Target:
    position_id: int
    lot_id: int | None


def _targets(case: EnforcementCase) -> list[_Target]:
    record = case.test_record
    if record.stock_lot_id is not None:
        named = StockLot.objects.only("position_id").get(pk=record.stock_lot_id)
        return [_Target(named.position_id, named.pk)]
    if record.inbound_line_id is not None:
        lot = StockLot.objects.filter(inspection__line_id=record.inbound_line_id).first()
        return [] if lot is None else [_Target(lot.position_id, lot.pk)]
    held = MarketHold.objects.filter(case=case).values("listing_id")
    return [
        _Target(pk, None)
        for pk in StockPosition.objects.filter(listing_id__in=held, available__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    ]


def quarantine_for_cases(*, actor: User | None = None) -> int:
    """Quarantine the failed lots of the standing cases not yet quarantined, and release what
    overturned cases still hold; returns how many quarantines were made or released.

    Set-based and idempotent: the cases are selected in the query (standing, no quarantine yet),
    each locked with `skip_locked` (two runs never work on one case) and re-checked under the
    lock; a case quarantines a position once (a unique constraint)."""
    due = (
        EnforcementCase.objects.exclude(status=EnforcementCase.Status.OVERTURNED)
        .filter(~Exists(Quarantine.objects.filter(case=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for case_id in list(due):
        done += _quarantine_case(case_id, actor=actor)
    for quarantine in Quarantine.objects.filter(
        status=Status.HELD, case__status=EnforcementCase.Status.OVERTURNED
    ).order_by("pk"):
        quarantine_release(quarantine, note=f"Case {quarantine.case_id} overturned", actor=actor)
        done += 1
    return done


def _quarantine_case(case_id: int, *, actor: User | None) -> int:
    made = 0
    with transaction.atomic():
        case = (
            EnforcementCase.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("test_record")
            .filter(pk=case_id)
            .exclude(status=EnforcementCase.Status.OVERTURNED)
            .first()
        )
        if case is None or Quarantine.objects.filter(case=case).exists():
            return 0
        for target in _targets(case):
            position = StockPosition.objects.select_for_update().get(pk=target.position_id)
            units = position.available
            if target.lot_id is not None:
                lot = StockLot.objects.select_for_update().get(pk=target.lot_id)
                units = min(units, lot.remaining)
            if units <= 0:
                continue
            _move(
                position,
                Kind.QUARANTINE,
                on_hand=0,
                available=-units,
                reference=f"quarantine: case {case.pk}",
                actor=actor,
            )
            # Out of the lots' unsold units too: a sale's first-in-first-out, the overstock
            # offer and the stock's age never count quarantined units.
            if target.lot_id is not None:
                StockLot.objects.filter(pk=target.lot_id).update(remaining=F("remaining") - units)
            else:
                _take_fifo(position, units)
            quarantine = Quarantine.objects.create(
                case=case,
                position=position,
                lot_id=target.lot_id,
                supplier_id=position.supplier_id,
                quantity=units,
            )
            record_event(
                "compliance.stock_quarantined",
                actor=actor,
                supplier_id=position.supplier_id,
                subject=quarantine,
                # The sentence names the case (from the payload), in the reader's language.
                reason="",
                payload={
                    "case": case.pk,
                    "listing": position.listing_id,
                    "warehouse": position.warehouse_id,
                    "lot": target.lot_id,
                    "quantity": units,
                },
            )
            made += 1
    return made


def _note(note: str) -> str:
    note = note.strip()
    if not note:
        raise DomainError(
            "note_required",
            _("Say why."),
            fields={"note": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return note


def quarantine_release(quarantine: Quarantine, *, note: str, actor: User | None) -> Quarantine:
    """A compliance officer releases quarantined units (found sound, the case overturned):
    they become available again. Done once; a unit written off is not released."""
    note = _note(note)

    def give_back(locked: Quarantine, _before: Quarantine) -> None:
        position = StockPosition.objects.select_for_update().get(pk=locked.position_id)
        _move(
            position,
            Kind.QUARANTINE_RELEASE,
            on_hand=0,
            available=locked.quantity,
            reference=f"quarantine released: case {locked.case_id}",
            actor=actor,
        )
        _put_back(position, locked.lot_id, locked.quantity)

    return transition(
        quarantine,
        QUARANTINE_MACHINE,
        Status.RELEASED,
        actor=actor,
        reason=note,
        changes={"decided_by": actor, "note": note[:300]},
        then=give_back,
        payload={"quantity": quarantine.quantity},
    )


def _put_back(position: StockPosition, lot_id: int | None, units: int) -> None:
    """Released units return to their lot, or (quarantined with no lot named) to the
    position's newest lots, each up to what it received."""
    if lot_id is not None:
        StockLot.objects.filter(pk=lot_id).update(remaining=F("remaining") + units)
        return
    left = units
    for lot in (
        StockLot.objects.select_for_update()
        .filter(position=position, remaining__lt=F("quantity"))
        .order_by("-received_at", "-pk")
    ):
        give = min(left, lot.quantity - lot.remaining)
        StockLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") + give)
        left -= give
        if left == 0:
            return


def quarantine_write_off(quarantine: Quarantine, *, note: str, actor: User) -> Quarantine:
    """A compliance officer writes quarantined units off (destroyed, returned for disposal): a
    write-off of units on hand that were already out of `available` and of their lots."""
    note = _note(note)

    def remove(locked: Quarantine, _before: Quarantine) -> None:
        position = StockPosition.objects.select_for_update().get(pk=locked.position_id)
        _move(
            position,
            Kind.WRITE_OFF,
            on_hand=-locked.quantity,
            available=0,
            reference=f"quarantine written off: case {locked.case_id}",
            actor=actor,
        )
        # The units already left their lots when they were quarantined.

    return transition(
        quarantine,
        QUARANTINE_MACHINE,
        Status.WRITTEN_OFF,
        actor=actor,
        reason=note,
        changes={"decided_by": actor, "note": note[:300]},
        then=remove,
        payload={"quantity": quarantine.quantity},
    )
