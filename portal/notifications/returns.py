"""The sentences of the returns events (return.*, refund.recorded, chargeback.*), from their
payload, and where the supplier reads more: the return's or the chargeback's page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.models import Event
from returns.models import Chargeback, ReturnRequest

from ..wording import money
from .sentences import Describer
from .subjects import Context, choice_label


def _count(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _requested(p: Mapping[str, Any], event: Event, c: Context) -> str:
    values = {"units": p.get("units", "?"), "parcel": p.get("parcel", "?"), "id": event.subject_id}
    count = _count(p.get("units"))
    if p.get("refund_only"):
        return (
            ngettext(
                "A consumer returned %(units)s unit of parcel #%(parcel)s for a refund only "
                "(return #%(id)s): worth less than USD 10 a unit, nothing travels back.",
                "A consumer returned %(units)s units of parcel #%(parcel)s for a refund only "
                "(return #%(id)s): worth less than USD 10 a unit, nothing travels back.",
                count,
            )
            % values
        )
    return (
        ngettext(
            "A consumer asked to return %(units)s unit of parcel #%(parcel)s (return #%(id)s).",
            "A consumer asked to return %(units)s units of parcel #%(parcel)s (return #%(id)s).",
            count,
        )
        % values
    )


def _opened(p: Mapping[str, Any], event: Event, c: Context) -> str:
    if p.get("return_centre") is None:
        return _("Return #%(id)s is refunded without a return.") % {"id": event.subject_id}
    return _("Return #%(id)s is authorised: the goods go back to the return centre.") % {
        "id": event.subject_id
    }


def _declined(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("The marketplace declined return #%(id)s: %(reason)s.") % {
        "id": event.subject_id,
        "reason": choice_label(ReturnRequest.DeclineReason, p.get("decline_reason")),
    }


def _received(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "The return centre received return #%(id)s: %(received)s units, %(defective)s "
        "defective, %(restocked)s restocked, %(missing)s missing."
    ) % {
        "id": event.subject_id,
        "received": p.get("received", "?"),
        "defective": p.get("defective", "?"),
        "restocked": p.get("restocked", "?"),
        "missing": p.get("missing", "?"),
    }


def _refund(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "The marketplace refunded the consumer %(amount)s %(currency)s for return #%(id)s."
    ) % {
        "amount": money(p.get("amount", "0")),
        "currency": p.get("currency", ""),
        "id": event.subject_id,
    }


def _charged(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Chargeback #%(id)s: %(units)s defective units of return #%(return)s, %(amount)s CNY "
        "(supply price and handling fee) taken from your deposit. You may appeal within "
        "%(days)s days."
    ) % {
        "id": event.subject_id,
        "units": p.get("units", "?"),
        "return": p.get("return", "?"),
        "amount": money(p.get("amount", "0")),
        "days": settings.CHARGEBACK_APPEAL_DAYS,
    }


DESCRIBE_RETURNS: dict[str, Describer] = {
    "return.requested": _requested,
    "return.opened": _opened,
    "return.declined": _declined,
    "return.cancelled": lambda p, e, c: (
        _("The consumer cancelled return #%(id)s.") % {"id": e.subject_id}
    ),
    "return.received": _received,
    "return.closed": lambda p, e, c: _("Return #%(id)s is closed.") % {"id": e.subject_id},
    "refund.recorded": _refund,
    "chargeback.charged": _charged,
    "chargeback.appealed": lambda p, e, c: (
        _("You appealed chargeback #%(id)s.") % {"id": e.subject_id}
    ),
    "chargeback.upheld": lambda p, e, c: (
        _("The marketplace upheld your appeal of chargeback #%(id)s: %(amount)s CNY given back.")
        % {"id": e.subject_id, "amount": money(p.get("amount", "0"))}
    ),
    "chargeback.dismissed": lambda p, e, c: (
        _("The marketplace dismissed your appeal of chargeback #%(id)s: the chargeback stands.")
        % {"id": e.subject_id}
    ),
}


def link_returns(subject: Any) -> str:
    """The return's or the chargeback's page."""
    if isinstance(subject, ReturnRequest):
        return reverse("portal:return_detail", args=[subject.pk])
    if isinstance(subject, Chargeback):
        return reverse("portal:chargeback_detail", args=[subject.pk])
    return ""
