"""A sampling request's moves after its units are pulled (SPEC, "Random sampling"): sent to a
lab, its result recorded when the lab's test record arrives, or cancelled with a reason.

The draw and the pull of units live in logistics (logistics/services/test_purchases.py): the
pull is a stock movement, and compliance sits below logistics. Every move goes through
SAMPLING_REQUEST_MACHINE and records compliance.sampling_<state>."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.errors import DomainError, ErrorKind
from marketplace.states import transition

from ..models import SAMPLING_REQUEST_MACHINE, Lab, SamplingRequest, TestRecord

if TYPE_CHECKING:
    from accounts.models import User

RS = SamplingRequest.Status


def sampling_send_to_lab(
    request: SamplingRequest, *, lab: Lab, sent_on: date | None = None, actor: User | None
) -> SamplingRequest:
    """The pulled units went to `lab` on `sent_on` (today when not given)."""
    sent_on = sent_on or timezone.localdate()

    def check(locked: SamplingRequest) -> None:
        if lab.status != Lab.Status.ACTIVE:
            message = _("This lab is not active.")
            raise DomainError(
                "lab_inactive", message, kind=ErrorKind.INVALID, fields={"lab": [message]}
            )
        if locked.units_pulled_at and sent_on < timezone.localdate(locked.units_pulled_at):
            message = _("The units were pulled after that day.")
            raise DomainError(
                "sent_before_pulled",
                message,
                kind=ErrorKind.INVALID,
                fields={"sent_on": [message]},
            )

    return transition(
        request,
        SAMPLING_REQUEST_MACHINE,
        RS.SENT_TO_LAB,
        actor=actor,
        check=check,
        changes={"lab": lab, "sent_to_lab_on": sent_on},
        payload={"lab": lab.pk, "sent_on": sent_on.isoformat()},
    )


def sampling_result_recorded(
    request: SamplingRequest, record: TestRecord, *, actor: User | None
) -> SamplingRequest:
    """A test record with `sampling_request` set arrived (the evidence services call this):
    the request is done. A record for units still marked as pulled also says they reached its
    lab, so the request passes through sent_to_lab first. Called again, it changes nothing."""
    if record.sampling_request_id not in (None, request.pk):
        raise DomainError(
            "record_of_another_request",
            _("This test record belongs to another sampling request."),
            kind=ErrorKind.INVALID,
        )

    def check(locked: SamplingRequest) -> None:
        if (record.product_id, record.supplier_id) != (
            locked.listing.product_id,
            locked.supplier_id,
        ):
            raise DomainError(
                "record_of_another_product",
                _("This test record is not of the sampled listing's product and supplier."),
                kind=ErrorKind.INVALID,
            )

    with transaction.atomic():
        locked = SamplingRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status == RS.UNITS_PULLED:
            check(locked)
            # The day it went is not known: the day the units were pulled.
            sampling_send_to_lab(locked, lab=record.lab, sent_on=_pulled_on(locked), actor=actor)
        moved = transition(
            locked,
            SAMPLING_REQUEST_MACHINE,
            RS.RESULT_RECORDED,
            actor=actor,
            check=check,
            payload={"record": record.pk, "result": record.result},
        )
    for name in ("status", "status_changed_at", "lab", "sent_to_lab_on"):
        setattr(request, name, getattr(moved, name))
    return moved


def _pulled_on(request: SamplingRequest) -> date:
    return timezone.localdate(request.units_pulled_at or timezone.now())


def sampling_request_cancel(
    request: SamplingRequest, *, reason: str, actor: User | None
) -> SamplingRequest:
    """Cancel a planned request, saying why (its cost goes back to the month's budget)."""
    if not reason.strip():
        raise DomainError(
            "reason_required",
            _("Say why."),
            kind=ErrorKind.INVALID,
            fields={"reason": [_("Required.")]},
        )
    return transition(
        request,
        SAMPLING_REQUEST_MACHINE,
        RS.CANCELLED,
        actor=actor,
        reason=reason.strip(),
        changes={"cancel_reason": reason.strip()[:300]},
    )
