"""Enforcement (SPEC, "Compliance: third-party testing", Enforcement): a failed test opens a
case against the supplier that holds the supplier's listings of the product off sale in every
market the standard covers; the ladder (cases opened within COMPLIANCE_LADDER_WINDOW, 180 days)
adds a fine at its second step (COMPLIANCE_FINE_CNY, a ledger entry of kind `fine`) and
suspends the supplier at its third. The supplier may appeal within COMPLIANCE_APPEAL_WINDOW
(7 days) with evidence; an officer upholds or overturns. An overturn reverses the fine (a
reversal entry pointing at it), lifts the case's holds and reinstates the supplier if the case
suspended it. Officers also place and lift holds by hand.

The stock of the failed lot is quarantined by logistics (`logistics.services.quarantine`),
which sits above compliance and reads the cases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import NewEvent, record_event, record_events
from marketplace.files import upload_kind
from marketplace.formatting import when
from marketplace.markets import Market
from marketplace.states import transition
from suppliers.models import Supplier
from suppliers.selectors import supplier_id_for
from suppliers.services.ledger import ledger_fine, ledger_reverse_fine
from suppliers.services.status import supplier_reinstate, supplier_suspend

from ..models import ENFORCEMENT_CASE_MACHINE, EnforcementCase, MarketHold, TestRecord
from ..selectors.enforcement import (
    failed_records_without_case,
    ladder_count,
    standard_markets,
    supplier_listings,
)

if TYPE_CHECKING:
    from catalogue.models import Listing

Status = EnforcementCase.Status
Step = EnforcementCase.Step

# What an appeal's evidence may be, known by its first bytes (the name proves nothing).
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024


# --- Opening cases ----------------------------------------------------------------------------


def cases_open_for_failures(*, actor: User | None = None) -> int:
    """Open a case for each failed record that counts and has none yet; returns how many.

    Set-based and idempotent: the records are selected in the query (verified, failed, not
    superseded, no case), and the one-to-one on `test_record` allows one case per record. The
    ladder counts the supplier's cases, so one supplier's records are opened one after another
    under the supplier's row lock: two runs at once never both count the same cases. A run finding
    the supplier locked skips it (the run holding it opens them, or the next run does)."""
    supplier_ids = sorted(
        set(failed_records_without_case().order_by().values_list("supplier_id", flat=True))
    )
    return sum(_open_cases_of(supplier_id, actor=actor) for supplier_id in supplier_ids)


def _open_cases_of(supplier_id: int, *, actor: User | None) -> int:
    with transaction.atomic():
        # FOR NO KEY UPDATE, as the ledger's posting takes it: orders and events inserted for
        # the supplier meanwhile are not held up.
        supplier = (
            Supplier.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(pk=supplier_id)
            .first()
        )
        if supplier is None:
            return 0
        # Read again under the lock: another run may have opened them meanwhile.
        records = list(
            failed_records_without_case()
            .filter(supplier_id=supplier_id)
            .select_related("standard")
            .order_by("verified_at", "pk")
        )
        for record in records:
            _open_case(record, supplier, actor=actor)
        return len(records)


def _open_case(record: TestRecord, supplier: Supplier, *, actor: User | None) -> EnforcementCase:
    now = timezone.now()
    listing_ids = list(
        supplier_listings(record.product_id, supplier.pk).values_list("pk", flat=True)
    )
    markets = standard_markets(record.standard)
    step = min(ladder_count(supplier.pk, at=now) + 1, Step.SUSPEND)
    case = EnforcementCase.objects.create(
        supplier=supplier,
        listing_id=listing_ids[0],
        test_record=record,
        step=step,
        opened_at=now,
        status_changed_at=now,
    )
    holds = MarketHold.objects.bulk_create(
        [
            MarketHold(
                listing_id=listing_id,
                market=market,
                reason=MarketHold.Reason.ENFORCEMENT,
                case=case,
                note=f"Case {case.pk}: {record.standard.code} failed ({record.report_number})"[
                    :300
                ],
                started_at=now,
                placed_by=actor,
            )
            for listing_id in listing_ids
            for market in markets
        ]
    )
    changed: list[str] = []
    if step >= Step.FINE:
        case.fine_entry = ledger_fine(
            supplier,
            amount=settings.COMPLIANCE_FINE_CNY,
            actor=actor,
            reference=case,
            memo=f"Enforcement case {case.pk}: {record.standard.code}, report "
            f"{record.report_number}"[:300],
        )
        changed.append("fine_entry")
    if step >= Step.SUSPEND and supplier.status == Supplier.Status.ACTIVE:
        supplier_suspend(
            supplier,
            actor=actor,
            reason=f"Enforcement case {case.pk}: third failed test within "
            f"{settings.COMPLIANCE_LADDER_WINDOW.days} days",
        )
        case.suspended_supplier = True
        changed.append("suspended_supplier")
    if changed:
        case.save(update_fields=changed)
    record_event(
        "compliance.case_opened",
        actor=actor,
        supplier=supplier,
        subject=case,
        reason=f"{record.standard.code}: report {record.report_number} failed",
        payload={
            "record": record.pk,
            "standard": record.standard.code,
            "listings": listing_ids,
            "step": step,
            "markets": markets,
            "fine": str(case.fine_entry.amount.copy_abs()) if case.fine_entry else None,
            "suspended": case.suspended_supplier,
            "appeal_until": case.appeal_until.isoformat(),
        },
    )
    _record_held(holds, supplier_id=supplier.pk, actor=actor)
    return case


def _record_held(holds: Sequence[MarketHold], *, supplier_id: int, actor: User | None) -> None:
    record_events(
        NewEvent(
            "compliance.market_held",
            actor=actor,
            subject=hold,
            # An officer's note is worth reading; a case's hold is told by the sentence (the
            # case is in the payload), not by a note written in the job's language.
            reason="" if hold.case_id else hold.note,
            supplier_id=supplier_id,
            payload={
                "hold": hold.pk,
                "listing": hold.listing_id,
                "market": hold.market,
                "reason": hold.reason,
                "case": hold.case_id,
            },
        )
        for hold in holds
    )


def _record_lifted(
    holds: Sequence[MarketHold], *, supplier_id: int, actor: User | None, reason: str
) -> None:
    record_events(
        NewEvent(
            "compliance.market_lifted",
            actor=actor,
            subject=hold,
            reason=reason,
            supplier_id=supplier_id,
            payload={
                "hold": hold.pk,
                "listing": hold.listing_id,
                "market": hold.market,
                "reason": hold.reason,
                "case": hold.case_id,
            },
        )
        for hold in holds
    )


# --- Appeals and decisions --------------------------------------------------------------------


def _evidence_errors(upload: File) -> list[str]:
    size = upload.size or 0
    if size > EVIDENCE_MAX_BYTES:
        return [
            _("The file is %(size)s; at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(EVIDENCE_MAX_BYTES)}
        ]
    if upload_kind(upload) is None:
        return [_("The evidence must be a PDF, JPEG or PNG file.")]
    return []


def case_appeal(
    case: EnforcementCase, *, text: str, file: File | None = None, actor: User
) -> EnforcementCase:
    """The supplier appeals its case within COMPLIANCE_APPEAL_WINDOW (7 days) of its opening,
    saying why, with an evidence file (PDF, JPEG or PNG) if it has one."""
    if supplier_id_for(actor) != case.supplier_id:
        raise DomainError("not_found", _("No such case."), kind=ErrorKind.NOT_FOUND)
    text = text.strip()
    if not text:
        raise DomainError(
            "appeal_text_required",
            _("Say why the case is wrong."),
            fields={"text": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    if file is not None:
        errors = _evidence_errors(file)
        if errors:
            raise DomainError(
                "invalid_evidence", errors[0], fields={"file": errors}, kind=ErrorKind.INVALID
            )

    def check(locked: EnforcementCase) -> None:
        if timezone.now() > locked.appeal_until:
            raise DomainError(
                "appeal_window_closed",
                _(
                    "An enforcement case can be appealed within %(days)d days of its opening; "
                    "this one could be appealed until %(until)s."
                )
                % {
                    "days": settings.COMPLIANCE_APPEAL_WINDOW.days,
                    "until": when(locked.appeal_until),
                },
            )

    changes: dict[str, object] = {"appeal_text": text, "appealed_at": timezone.now()}
    if file is not None:
        changes["appeal_file"] = file
    return transition(
        case,
        ENFORCEMENT_CASE_MACHINE,
        Status.APPEALED,
        actor=actor,
        reason=text[:300],
        check=check,
        changes=changes,
        payload={"step": case.step, "evidence": file is not None},
    )


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


def case_uphold(case: EnforcementCase, *, note: str, actor: User) -> EnforcementCase:
    """An officer upholds an appealed case: its effects stand."""
    note = _note(note)
    return transition(
        case,
        ENFORCEMENT_CASE_MACHINE,
        Status.UPHELD,
        actor=actor,
        reason=note,
        changes={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note},
        payload={"step": case.step},
    )


def case_overturn(case: EnforcementCase, *, note: str, actor: User) -> EnforcementCase:
    """An officer overturns an appealed case: its fine comes back as a reversal entry pointing
    at it, its holds are lifted and, if it suspended the supplier, the supplier is reinstated
    (unless another standing case is at the suspension step: that case then keeps the
    supplier suspended, and its own overturn reinstates)."""
    note = _note(note)

    def undo(locked: EnforcementCase, _before: EnforcementCase) -> None:
        now = timezone.now()
        if locked.fine_entry_id is not None and locked.fine_reversal_id is None:
            fine = locked.fine_entry
            assert fine is not None
            locked.fine_reversal = ledger_reverse_fine(
                fine, actor=actor, memo=f"Enforcement case {locked.pk} overturned"
            )
            locked.save(update_fields=["fine_reversal"])
        holds = list(
            MarketHold.objects.select_for_update().filter(case=locked, lifted_at__isnull=True)
        )
        MarketHold.objects.filter(pk__in=[h.pk for h in holds]).update(
            lifted_at=now, lifted_by=actor, lift_note=note[:300]
        )
        _record_lifted(
            holds,
            supplier_id=locked.supplier_id,
            actor=actor,
            reason=note[:300],
        )
        if locked.suspended_supplier:
            _reinstate_unless_held(locked, actor=actor, note=note)

    return transition(
        case,
        ENFORCEMENT_CASE_MACHINE,
        Status.OVERTURNED,
        actor=actor,
        reason=note,
        changes={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note},
        then=undo,
        payload={"step": case.step},
    )


def _reinstate_unless_held(case: EnforcementCase, *, actor: User, note: str) -> bool:
    other = (
        EnforcementCase.objects.filter(supplier_id=case.supplier_id, step=Step.SUSPEND)
        .exclude(pk=case.pk)
        .exclude(status=Status.OVERTURNED)
        .order_by("-opened_at", "-pk")
        .first()
    )
    supplier = Supplier.objects.get(pk=case.supplier_id)
    if other is not None:
        EnforcementCase.objects.filter(pk=other.pk).update(suspended_supplier=True)
        return False
    if supplier.status != Supplier.Status.SUSPENDED:
        return False
    supplier_reinstate(
        supplier, actor=actor, reason=f"Enforcement case {case.pk} overturned: {note}"[:300]
    )
    return True


# --- Holds by hand ----------------------------------------------------------------------------


def market_hold_place(listing: Listing, *, market: str, note: str, actor: User) -> MarketHold:
    """An officer holds a listing off sale in a market, saying why. A listing already held there
    by an officer keeps that hold (returned as it stands)."""
    note = _note(note)
    if market not in Market.values:
        raise DomainError(
            "unknown_market",
            _("%(market)s is not a market the marketplace sells in.") % {"market": market},
            fields={"market": [_("Unknown market.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        # The listing's row serialises two officers holding it at once.
        type(listing)._default_manager.select_for_update().filter(pk=listing.pk).first()
        existing = MarketHold.objects.filter(
            listing_id=listing.pk,
            market=market,
            reason=MarketHold.Reason.OFFICER,
            lifted_at__isnull=True,
        ).first()
        if existing is not None:
            return existing
        hold = MarketHold.objects.create(
            listing_id=listing.pk,
            market=market,
            reason=MarketHold.Reason.OFFICER,
            note=note[:300],
            placed_by=actor,
        )
        _record_held(
            [hold],
            supplier_id=listing.supplier_id,
            actor=actor,
        )
    return hold


def market_hold_lift(hold: MarketHold, *, note: str, actor: User) -> MarketHold:
    """An officer lifts a hold, saying why. A hold already lifted is returned as it stands; a
    case's hold is lifted by overturning the case, not by hand, while the case stands."""
    note = _note(note)
    with transaction.atomic():
        locked = MarketHold.objects.select_for_update().select_related("listing").get(pk=hold.pk)
        if locked.lifted_at is not None:
            return locked
        if locked.case_id is not None:
            raise DomainError(
                "hold_of_a_case",
                _("This hold belongs to enforcement case %(case)s: overturn the case to lift it.")
                % {"case": locked.case_id},
            )
        locked.lifted_at = timezone.now()
        locked.lifted_by = actor
        locked.lift_note = note[:300]
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
        _record_lifted(
            [locked],
            supplier_id=locked.listing.supplier_id,
            actor=actor,
            reason=note[:300],
        )
    return locked
