"""Defective returned units charged back to the supplier (SPEC, "Returns"): the supply price
frozen on the consumer order for each defective unit, plus RETURN_HANDLING_FEE_CNY once per
return line, posted to the deposit as a `chargeback` entry that names the chargeback. The
supplier may appeal within CHARGEBACK_APPEAL_DAYS; an operator upholds the appeal (a
`chargeback_reversal` entry pointing at the chargeback's entry gives it back) or dismisses it,
with a note either way."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind, invalid_input
from marketplace.events import record_event
from marketplace.formatting import when
from marketplace.states import transition
from suppliers.models import LedgerEntry, Supplier
from suppliers.selectors import supplier_id_for
from suppliers.services.ledger import ledger_chargeback, ledger_reverse_chargeback

from ..models import CHARGEBACK_MACHINE, Chargeback, ReturnLine

Status = Chargeback.Status


def chargeback_charge(line: ReturnLine, units: int, *, actor: User | None) -> Chargeback:
    """Charge `units` defective units of an inspected line (in the inspection's transaction):
    the chargeback, its ledger entry and its event. A line is charged once (one-to-one)."""
    request = line.request
    price = request.order.unit_supply_price
    fee = settings.RETURN_HANDLING_FEE_CNY
    chargeback = Chargeback.objects.create(
        line=line,
        supplier_id=request.supplier_id,
        units=units,
        unit_supply_price=price,
        handling_fee=fee,
        amount=price * units + fee,
    )
    chargeback.entry = ledger_chargeback(
        Supplier.objects.get(pk=request.supplier_id),
        amount=chargeback.amount,
        actor=actor,
        reference=chargeback,
        memo=f"return {request.pk}, line {line.pk}: {units} defective",
    )
    chargeback.save(update_fields=["entry"])
    record_event(
        "chargeback.charged",
        actor=actor,
        supplier_id=chargeback.supplier_id,
        subject=chargeback,
        payload={
            "return": request.pk,
            "units": units,
            "unit_supply_price": str(price),
            "handling_fee": str(fee),
            "amount": str(chargeback.amount),
        },
    )
    return chargeback


def appeal_open(chargeback: Chargeback) -> bool:
    return chargeback.status == Status.STANDING and timezone.now() <= chargeback.appeal_until


def chargeback_appeal(chargeback: Chargeback, *, text: str, actor: User) -> Chargeback:
    """The supplier appeals its chargeback within CHARGEBACK_APPEAL_DAYS of the charge, saying
    why. An appealed chargeback is returned as it stands."""
    if supplier_id_for(actor) != chargeback.supplier_id:
        raise DomainError("not_found", _("No such chargeback."), kind=ErrorKind.NOT_FOUND)
    text = text.strip()
    if not text:
        raise invalid_input("appeal_text_required", "text", _("Say why the chargeback is wrong."))

    def check(locked: Chargeback) -> None:
        if timezone.now() > locked.appeal_until:
            raise invalid_input(
                "appeal_window_closed",
                "text",
                _(
                    "A chargeback can be appealed within %(days)d days; this one could be "
                    "appealed until %(until)s."
                )
                % {"days": settings.CHARGEBACK_APPEAL_DAYS, "until": when(locked.appeal_until)},
                kind=ErrorKind.CONFLICT,
            )

    return transition(
        chargeback,
        CHARGEBACK_MACHINE,
        Status.APPEALED,
        actor=actor,
        reason=text[:300],
        check=check,
        changes={"appeal_text": text[:5000], "appealed_at": timezone.now()},
    )


def chargeback_decide(
    chargeback: Chargeback, *, uphold: bool, note: str, actor: User
) -> Chargeback:
    """An operator decides the appeal, saying why: upheld, the chargeback is given back (a
    reversal entry pointing at its entry); dismissed, it stands."""
    note = note.strip()
    if not note:
        raise invalid_input("note_required", "note", _("Say why."))

    def reverse(locked: Chargeback, before: Chargeback) -> None:
        assert locked.entry_id is not None  # posted with the chargeback
        entry = LedgerEntry.objects.get(pk=locked.entry_id)
        locked.reversal = ledger_reverse_chargeback(entry, actor=actor, memo=note[:300])
        locked.save(update_fields=["reversal"])

    return transition(
        chargeback,
        CHARGEBACK_MACHINE,
        Status.UPHELD if uphold else Status.DISMISSED,
        actor=actor,
        reason=note[:300],
        changes={"decided_at": timezone.now(), "decided_by": actor, "decision_note": note[:500]},
        then=reverse if uphold else None,
        payload={"amount": str(chargeback.amount)},
    )
