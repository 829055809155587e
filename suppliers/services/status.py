"""Onboarding and the supplier's moves (SPEC, "Suppliers and money"; the table is
`SUPPLIER_MACHINE`, beside the model).

Every move goes through `supplier_transition` (marketplace.states: the row locked, the move
checked against the table, the actor, the time and the reason recorded as an event, in the same
transaction). The business actions narrow the table where they must (reject only an
application, reinstate only a suspension).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.states import transition

from ..models import SUPPLIER_MACHINE, Factory, Membership, Supplier
from .members import require_owner_of

Status = Supplier.Status

# Moves that must say why.
REASON_REQUIRED = frozenset({Status.SUSPENDED, Status.TERMINATED})


def _either(alternatives: list[str]) -> str:
    """Join the alternatives with "or", in the request's language."""
    text = alternatives[0]
    for alternative in alternatives[1:]:
        text = _("%(one)s or %(other)s") % {"one": text, "other": alternative}
    return text


def _only_from(*states: str) -> Callable[[Supplier], None]:
    """A business action's narrowing of the table, checked on the locked row (so a move made
    meanwhile by someone else is seen)."""

    def check(locked: Supplier) -> None:
        if locked.status not in states:
            raise DomainError(
                "invalid_transition",
                _("This applies only to a supplier that is %(expected)s; this one is %(current)s.")
                % {
                    "expected": _either(sorted(Status(s).label.lower() for s in states)),
                    "current": locked.get_status_display().lower(),
                },
            )

    return check


def supplier_transition(
    supplier: Supplier,
    target: str,
    *,
    actor: User | None,
    reason: str = "",
    check: Callable[[Supplier], None] | None = None,
) -> Supplier:
    """Move the supplier to `target`; `check` is the action's own narrowing."""
    reason = reason.strip()

    def checks(locked: Supplier) -> None:
        if check is not None:
            check(locked)
        if target in REASON_REQUIRED and not reason:
            raise DomainError(
                "reason_required",
                _("Say why the supplier is %(status)s.") % {"status": Status(target).label.lower()},
                fields={"reason": [_("Required.")]},
                kind=ErrorKind.INVALID,
            )

    return transition(
        supplier,
        SUPPLIER_MACHINE,
        target,
        actor=actor,
        reason=reason,
        check=checks,
        changes={"changes_requested": False},
    )


def supplier_approve(supplier: Supplier, *, actor: User, reason: str = "") -> Supplier:
    """An operator accepts the application: the supplier starts onboarding."""
    return supplier_transition(supplier, Status.ONBOARDING, actor=actor, reason=reason)


def supplier_activate(supplier: Supplier, *, actor: User, reason: str = "") -> Supplier:
    return supplier_transition(supplier, Status.ACTIVE, actor=actor, reason=reason)


def supplier_reject(supplier: Supplier, *, actor: User, reason: str) -> Supplier:
    return supplier_transition(
        supplier, Status.TERMINATED, actor=actor, reason=reason, check=_only_from(Status.APPLIED)
    )


def supplier_suspend(supplier: Supplier, *, actor: User | None, reason: str) -> Supplier:
    return supplier_transition(supplier, Status.SUSPENDED, actor=actor, reason=reason)


def supplier_reinstate(supplier: Supplier, *, actor: User | None, reason: str = "") -> Supplier:
    return supplier_transition(
        supplier, Status.ACTIVE, actor=actor, reason=reason, check=_only_from(Status.SUSPENDED)
    )


def supplier_terminate(supplier: Supplier, *, actor: User, reason: str) -> Supplier:
    return supplier_transition(supplier, Status.TERMINATED, actor=actor, reason=reason)


# --- The application ------------------------------------------------------------------------------


@dataclass
class Application:
    """What a factory owner submits to join (the portal's application form, cleaned)."""

    name_zh: str
    name_en: str
    credit_code: str
    contact_name: str
    contact_phone: str
    contact_email: str
    intended_categories: list[str]
    factories: list[Mapping[str, str]]
    business_licence: UploadedFile | None = None

    def supplier_fields(self) -> dict[str, Any]:
        return {
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "credit_code": self.credit_code.upper(),
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "contact_email": self.contact_email,
            "intended_categories": list(self.intended_categories),
        }


def _replace_factories(supplier: Supplier, factories: Iterable[Mapping[str, str]]) -> None:
    supplier.factories.all().delete()
    Factory.objects.bulk_create(Factory(supplier=supplier, **dict(f)) for f in factories)


def _check_application(application: Application, *, exclude_pk: int | None = None) -> None:
    if not application.factories:
        raise DomainError(
            "factory_required",
            _("Name at least one factory."),
            fields={"factories": [_("At least one factory.")]},
            kind=ErrorKind.INVALID,
        )
    taken = Supplier.objects.filter(credit_code=application.credit_code.upper())
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise DomainError(
            "credit_code_taken",
            _("A supplier with this unified social credit code has already applied."),
            fields={"credit_code": [_("Already registered.")]},
        )


def supplier_apply(
    application: Application, *, username: str, email: str, password: str
) -> Membership:
    """A factory owner applies without an account: the supplier (applied), its factories and
    the owner's account are created together."""
    _check_application(application)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise DomainError(
                "username_taken",
                _("This username is taken."),
                fields={"username": [_("Taken.")]},
                kind=ErrorKind.INVALID,
            )
        user = User.objects.create_user(username=username, email=email, password=password)
        supplier = Supplier.objects.create(**application.supplier_fields())
        if application.business_licence is not None:
            supplier.business_licence.save(
                application.business_licence.name, application.business_licence, save=True
            )
        _replace_factories(supplier, application.factories)
        membership = Membership.objects.create(
            user=user, supplier=supplier, role=Membership.Role.OWNER
        )
        record_event("supplier.applied", actor=user, supplier=supplier, subject=supplier)
    return membership


def supplier_request_changes(supplier: Supplier, *, actor: User, comment: str) -> Supplier:
    """An operator sends the application back with a comment; the applicant resubmits."""
    comment = comment.strip()
    if not comment:
        raise DomainError(
            "comment_required",
            _("Tell the applicant what to change."),
            fields={"reason": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if locked.status != Status.APPLIED:
            raise DomainError(
                "not_an_application",
                _("Changes can be asked only of an application under review."),
            )
        locked.changes_requested, locked.review_comment = True, comment
        locked.save(update_fields=["changes_requested", "review_comment"])
        record_event(
            "supplier.changes_requested",
            actor=actor,
            supplier=locked,
            subject=locked,
            reason=comment,
        )
    return locked


def supplier_resubmit(supplier: Supplier, application: Application, *, actor: User) -> Supplier:
    """The applicant's owner changes the application as asked and sends it back for review."""
    require_owner_of(actor, supplier)
    _check_application(application, exclude_pk=supplier.pk)
    with transaction.atomic():
        locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
        if locked.status != Status.APPLIED or not locked.changes_requested:
            raise DomainError(
                "no_changes_requested", _("The application is not waiting for changes.")
            )
        for name, value in application.supplier_fields().items():
            setattr(locked, name, value)
        locked.changes_requested = False
        locked.save()
        if application.business_licence is not None:
            locked.business_licence.save(
                application.business_licence.name, application.business_licence, save=True
            )
        _replace_factories(locked, application.factories)
        record_event("supplier.resubmitted", actor=actor, supplier=locked, subject=locked)
    return locked
