"""JIT enrolment (SPEC, "JIT pre-sale orders", eligibility), and the deposit threshold that pauses
and resumes it (`jit_threshold_move`), which the ledger's posting service applies to every
posting in the posting's transaction (`ledger.posting`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.formatting import amount

from ..models import Province, Supplier
from ..selectors import supplier_balance
from .members import require_owner_of


@dataclass(frozen=True)
class ThresholdMove:
    """What a balance does to a JIT status: the status it moves to, why, and its event."""

    target: str
    reason: str
    event: str


PAUSE = ThresholdMove(
    Supplier.JitStatus.PAUSED, Supplier.JitReason.DEPOSIT_BELOW_MINIMUM, "supplier.jit_paused"
)
RESUME = ThresholdMove(
    Supplier.JitStatus.ENROLLED, Supplier.JitReason.DEPOSIT_RESTORED, "supplier.jit_resumed"
)
# The statuses the threshold moves between; a supplier outside JIT is left alone.
THRESHOLD_STATUSES = (Supplier.JitStatus.ENROLLED, Supplier.JitStatus.PAUSED)


def jit_threshold_move(jit_status: str, balance: Decimal) -> ThresholdMove | None:
    """While in JIT, a deposit below the minimum pauses it and a deposit back at the minimum
    resumes it; otherwise nothing moves. So after any posting the status of a supplier in JIT
    is a function of the balance alone, which lets a batch apply the rule set-based."""
    below = balance < settings.JIT_MIN_DEPOSIT_CNY
    if jit_status == Supplier.JitStatus.ENROLLED and below:
        return PAUSE
    if jit_status == Supplier.JitStatus.PAUSED and not below:
        return RESUME
    return None


@dataclass(frozen=True)
class Condition:
    code: str
    met: bool
    message: str


def _province(value: str) -> str:
    """A pilot province's name in the request's language (the setting holds the stored value)."""
    try:
        return str(Province(value).label)
    except ValueError:
        return value


def jit_conditions(supplier: Supplier) -> list[Condition]:
    """Each condition of the pilot, whether it is met, and in words."""
    minimum = settings.JIT_MIN_DEPOSIT_CNY
    provinces = settings.JIT_PILOT_PROVINCES
    balance = supplier_balance(supplier.pk)
    in_pilot = supplier.factories.filter(province__in=provinces).exists()
    return [
        Condition(
            "active",
            supplier.status == Supplier.Status.ACTIVE,
            _("The supplier is active (now: %(status)s).")
            % {"status": supplier.get_status_display()},
        ),
        Condition(
            "pilot_province",
            in_pilot,
            _("A factory is in a pilot province: %(provinces)s.")
            % {"provinces": pgettext("list separator", ", ").join(_province(p) for p in provinces)},
        ),
        Condition(
            "deposit",
            balance >= minimum,
            _("The deposit is at least %(minimum)s CNY (now: %(balance)s CNY).")
            % {"minimum": amount(minimum), "balance": amount(balance)},
        ),
    ]


def jit_apply(supplier: Supplier, *, actor: User | None) -> Supplier:
    """Enrol in the JIT pilot when every condition holds; otherwise say which do not. The
    supplier's owner applies (or marketplace staff on its behalf)."""
    require_owner_of(actor, supplier, staff_may=True)
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if locked.jit_enrolled:
            return locked
        failing = [c for c in jit_conditions(locked) if not c.met]
        if failing:
            raise DomainError(
                "jit_not_eligible",
                _("Not eligible for JIT: %(reasons)s")
                % {"reasons": " ".join(c.message for c in failing)},
                fields={c.code: [c.message] for c in failing},
                kind=ErrorKind.INVALID,
            )
        locked.jit_status = Supplier.JitStatus.ENROLLED
        locked.jit_status_reason = Supplier.JitReason.ENROLLED
        locked.jit_status_changed_at = timezone.now()
        locked.save(update_fields=["jit_status", "jit_status_reason", "jit_status_changed_at"])
        record_event("supplier.jit_enrolled", actor=actor, supplier=locked, subject=locked)
    supplier.refresh_from_db()
    return locked
