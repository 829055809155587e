"""The deposit ledger: one function per business action that moves money, each a thin call of
the one posting service, `posting.ledger_post_many` (which a sweep's batch calls too): it locks
the suppliers, writes the entries and their `ledger.posted` events and applies the JIT
threshold, in the caller's transaction.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.states import transition

from ...models import WITHDRAWAL_MACHINE, LedgerEntry, Supplier, WithdrawalRequest
from ...selectors import supplier_balance
from ..members import require_owner_of
from .posting import Posting, ledger_post_many, reference_of

Kind = LedgerEntry.Kind
CENT = Decimal("0.01")


MAX_AMOUNT = Decimal("999999999999.99")  # what the ledger's column holds


def _money(amount: Decimal | str | int, field: str = "amount") -> Decimal:
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite() or abs(value) > MAX_AMOUNT:
        raise DomainError(
            "invalid_amount",
            _("The amount is not a number the ledger can hold."),
            fields={field: [_("Not a valid amount.")]},
            kind=ErrorKind.INVALID,
        )
    if value != value.quantize(CENT):
        raise DomainError(
            "invalid_amount",
            _("Amounts are in CNY with at most two decimals."),
            fields={field: [_("At most two decimals.")]},
            kind=ErrorKind.INVALID,
        )
    return value.quantize(CENT)


def _positive(amount: Decimal | str | int) -> Decimal:
    value = _money(amount)
    if value <= 0:
        raise DomainError(
            "invalid_amount",
            _("The amount must be above zero."),
            fields={"amount": [_("Must be above zero.")]},
            kind=ErrorKind.INVALID,
        )
    return value


def jit_floor(supplier: Supplier) -> Decimal:
    """The lowest balance a withdrawal may leave: the JIT minimum while enrolled, else zero."""
    return settings.JIT_MIN_DEPOSIT_CNY if supplier.jit_enrolled else Decimal("0.00")


def _post(
    supplier: Supplier,
    *,
    kind: str,
    amount: Decimal,
    actor: User | None,
    reference: models.Model | None = None,
    corrects: LedgerEntry | None = None,
    memo: str = "",
    bank_reference: str = "",
    floor: Decimal | None = None,
) -> LedgerEntry:
    """One entry, through the one posting service; the caller's supplier learns its JIT
    status after it."""
    posted = ledger_post_many(
        [
            Posting(
                supplier_id=supplier.pk,
                kind=kind,
                amount=amount,
                corrects_id=corrects.pk if corrects is not None else None,
                memo=memo,
                bank_reference=bank_reference,
                floor=floor,
                **reference_of(reference),
            )
        ],
        actor=actor,
    )
    supplier.jit_status = posted.jit_status[supplier.pk]
    return posted.entries[0]


# --- Postings, one per business action ----------------------------------------------------


def ledger_top_up(
    supplier: Supplier, *, amount: Decimal | str, bank_reference: str, actor: User | None
) -> LedgerEntry:
    """Finance credits a bank transfer. The same bank reference is credited once."""
    bank_reference = bank_reference.strip()
    if not bank_reference:
        raise DomainError(
            "bank_reference_required",
            _("A top-up needs the bank reference of the transfer."),
            fields={"bank_reference": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return _post(
        supplier,
        kind=Kind.TOP_UP,
        amount=_positive(amount),
        actor=actor,
        bank_reference=bank_reference,
    )


def ledger_penalty(
    supplier: Supplier,
    *,
    amount: Decimal | str,
    actor: User | None,
    reference: models.Model | None,
    memo: str,
) -> LedgerEntry:
    """A penalty is taken from the deposit when assessed, even into a negative balance."""
    return _post(
        supplier,
        kind=Kind.PENALTY,
        amount=-_positive(amount),
        actor=actor,
        reference=reference,
        memo=memo,
    )


def penalty_reversal(penalty: LedgerEntry, *, memo: str) -> Posting:
    """The posting that gives a penalty entry back: a reversal pointing at it (refused for an
    entry that is no penalty, or a penalty already reversed)."""
    if penalty.kind != Kind.PENALTY:
        raise DomainError("not_a_penalty", _("Only a penalty entry can be reversed."))
    if penalty.corrections.filter(kind=Kind.PENALTY_REVERSAL).exists():
        raise DomainError("already_reversed", _("This penalty has already been reversed."))
    return Posting(
        supplier_id=penalty.supplier_id,
        kind=Kind.PENALTY_REVERSAL,
        amount=-penalty.amount,
        reference_type_id=penalty.reference_type_id,
        reference_id=penalty.reference_id,
        corrects_id=penalty.pk,
        memo=memo,
    )


def ledger_reverse_penalty(penalty: LedgerEntry, *, actor: User | None, memo: str) -> LedgerEntry:
    """A waived penalty comes back as a reversal pointing at the penalty entry."""
    [entry] = ledger_post_many([penalty_reversal(penalty, memo=memo)], actor=actor).entries
    return entry


def ledger_chargeback(
    supplier: Supplier,
    *,
    amount: Decimal | str,
    actor: User | None,
    reference: models.Model | None,
    memo: str,
) -> LedgerEntry:
    """A consumer's claim the supplier answers for (a defect, a missing part): finance takes it
    from the deposit, saying which claim."""
    if not memo.strip():
        raise DomainError(
            "memo_required",
            _("Say which claim the chargeback is for."),
            fields={"memo": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return _post(
        supplier,
        kind=Kind.CHARGEBACK,
        amount=-_positive(amount),
        actor=actor,
        reference=reference,
        memo=memo,
    )


def chargeback_reversal(chargeback: LedgerEntry, *, memo: str) -> Posting:
    """The posting that gives a chargeback back: a reversal pointing at it (refused for an entry
    that is no chargeback, or a chargeback already reversed), as a fine's reversal is."""
    if chargeback.kind != Kind.CHARGEBACK:
        raise DomainError(
            "not_a_chargeback", _("Only a chargeback entry can be reversed as a chargeback.")
        )
    if chargeback.corrections.filter(kind=Kind.CHARGEBACK_REVERSAL).exists():
        raise DomainError("already_reversed", _("This chargeback has already been reversed."))
    return Posting(
        supplier_id=chargeback.supplier_id,
        kind=Kind.CHARGEBACK_REVERSAL,
        amount=-chargeback.amount,
        reference_type_id=chargeback.reference_type_id,
        reference_id=chargeback.reference_id,
        corrects_id=chargeback.pk,
        memo=memo,
    )


def ledger_reverse_chargeback(
    chargeback: LedgerEntry, *, actor: User | None, memo: str
) -> LedgerEntry:
    """An upheld appeal gives the chargeback back: a reversal pointing at the chargeback entry."""
    [entry] = ledger_post_many([chargeback_reversal(chargeback, memo=memo)], actor=actor).entries
    return entry


def ledger_fine(
    supplier: Supplier,
    *,
    amount: Decimal | str,
    actor: User | None,
    reference: models.Model | None,
    memo: str,
) -> LedgerEntry:
    """An enforcement fine (compliance: a repeated failed test) is taken from the deposit, even
    into a negative balance, like a penalty."""
    return _post(
        supplier,
        kind=Kind.FINE,
        amount=-_positive(amount),
        actor=actor,
        reference=reference,
        memo=memo,
    )


def fine_reversal(fine: LedgerEntry, *, memo: str) -> Posting:
    """The posting that gives a fine back: a reversal pointing at it (refused for an entry that
    is no fine, or a fine already reversed), as a penalty's reversal is."""
    if fine.kind != Kind.FINE:
        raise DomainError("not_a_fine", _("Only a fine entry can be reversed as a fine."))
    if fine.corrections.filter(kind=Kind.FINE_REVERSAL).exists():
        raise DomainError("already_reversed", _("This fine has already been reversed."))
    return Posting(
        supplier_id=fine.supplier_id,
        kind=Kind.FINE_REVERSAL,
        amount=-fine.amount,
        reference_type_id=fine.reference_type_id,
        reference_id=fine.reference_id,
        corrects_id=fine.pk,
        memo=memo,
    )


def ledger_reverse_fine(fine: LedgerEntry, *, actor: User | None, memo: str) -> LedgerEntry:
    """An overturned enforcement case gives its fine back: a reversal pointing at the fine."""
    [entry] = ledger_post_many([fine_reversal(fine, memo=memo)], actor=actor).entries
    return entry


def ledger_adjust(
    supplier: Supplier,
    *,
    amount: Decimal | str,
    actor: User | None,
    memo: str,
    corrects: LedgerEntry | None = None,
) -> LedgerEntry:
    """Finance corrects the ledger with a signed entry that says why (and, usually, which entry
    it corrects)."""
    value = _money(amount)
    if value == 0:
        raise DomainError(
            "invalid_amount",
            _("An adjustment cannot be zero."),
            fields={"amount": [_("Not zero.")]},
            kind=ErrorKind.INVALID,
        )
    if not memo.strip():
        raise DomainError(
            "memo_required",
            _("Say why the ledger is adjusted."),
            fields={"memo": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    if corrects is not None and corrects.supplier_id != supplier.pk:
        raise DomainError(
            "wrong_supplier",
            _("The corrected entry belongs to another supplier."),
            fields={"corrects": [_("Another supplier's entry.")]},
            kind=ErrorKind.INVALID,
        )
    return _post(
        supplier, kind=Kind.ADJUSTMENT, amount=value, actor=actor, memo=memo, corrects=corrects
    )


# --- Withdrawals ---------------------------------------------------------------------------


def withdrawal_request(
    supplier: Supplier, *, amount: Decimal | str, bank_account: str, actor: User
) -> WithdrawalRequest:
    """The owner asks for money back; finance decides. Refused at once if it could never be
    approved now."""
    require_owner_of(actor, supplier)
    value = _positive(amount)
    if not bank_account.strip():
        raise DomainError(
            "bank_account_required",
            _("Name the bank account to pay into."),
            fields={"bank_account": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    available = supplier_balance(supplier.pk) - jit_floor(supplier)
    if value > available:
        most = max(available, Decimal("0.00"))
        raise DomainError(
            "insufficient_balance",
            _("At most %(amount)s CNY can be withdrawn now.") % {"amount": most},
            fields={"amount": [_("At most %(amount)s CNY.") % {"amount": most}]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        request = WithdrawalRequest.objects.create(
            supplier=supplier, amount=value, bank_account=bank_account.strip(), requested_by=actor
        )
        record_event(
            "supplier.withdrawal_requested",
            actor=actor,
            supplier=supplier,
            subject=request,
            payload={"amount": str(value)},
        )
    return request


def withdrawal_approve(request: WithdrawalRequest, *, actor: User) -> WithdrawalRequest:
    """Finance pays out: a withdrawal entry that never takes the balance below zero nor, while
    enrolled in JIT, below the JIT minimum (checked under the supplier's lock). A request
    already approved is returned as it stands."""

    def pay_out(locked: WithdrawalRequest, _before: WithdrawalRequest) -> None:
        supplier = Supplier.objects.get(pk=locked.supplier_id)
        locked.entry = _post(
            supplier,
            kind=Kind.WITHDRAWAL,
            amount=-locked.amount,
            actor=actor,
            reference=locked,
            floor=jit_floor(supplier),
        )
        locked.save(update_fields=["entry"])

    return transition(
        request,
        WITHDRAWAL_MACHINE,
        WithdrawalRequest.Status.APPROVED,
        actor=actor,
        changes={"decided_by": actor},
        then=pay_out,
        payload={"amount": str(request.amount)},
    )


def withdrawal_reject(request: WithdrawalRequest, *, actor: User, reason: str) -> WithdrawalRequest:
    if not reason.strip():
        raise DomainError(
            "reason_required",
            _("Say why the withdrawal is rejected."),
            fields={"reason": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return transition(
        request,
        WITHDRAWAL_MACHINE,
        WithdrawalRequest.Status.REJECTED,
        actor=actor,
        reason=reason.strip(),
        changes={"decided_by": actor, "decision_reason": reason.strip()},
    )
