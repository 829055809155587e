"""What the inbound services share."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind

# Most units one stocking order, or one counted line, may hold.
MAX_UNITS = 1_000_000


def require_member(supplier_id: int, actor: User) -> None:
    membership = getattr(actor, "supplier_membership", None)
    if membership is None or membership.supplier_id != supplier_id:
        raise DomainError("not_found", _("Not found."), kind=ErrorKind.NOT_FOUND)


def require_reason(reason: str, message: str) -> str:
    """A cancellation says why (the supplier reads it): the reason, stripped, or a refusal on
    the form's `reason` field."""
    if not reason.strip():
        raise DomainError(
            "reason_required",
            message,
            fields={"reason": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return reason.strip()
