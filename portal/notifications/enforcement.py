"""The sentences of the enforcement events (compliance.case_*, market holds, quarantines), from
their payload, and where the supplier reads more: the case's page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from compliance.models import EnforcementCase, MarketHold
from logistics.models import Quarantine
from marketplace.markets import Market
from marketplace.models import Event

from ..wording import money
from .sentences import Describer
from .subjects import Context


def _market(code: Any) -> str:
    return str(dict(Market.choices).get(code, code or "?"))


def _case_opened(p: Mapping[str, Any], event: Event, c: Context) -> str:
    markets = ", ".join(_market(m) for m in p.get("markets", [])) or "?"
    values = {"standard": p.get("standard", "?"), "markets": markets}
    if p.get("step") == EnforcementCase.Step.SUSPEND and p.get("suspended"):
        text = _(
            "A failed %(standard)s test opened an enforcement case: your listings are held in "
            "%(markets)s, you are fined %(fine)s CNY and your account is suspended."
        )
    elif p.get("fine"):
        text = _(
            "A failed %(standard)s test opened an enforcement case: your listings are held in "
            "%(markets)s and you are fined %(fine)s CNY."
        )
    else:
        text = _(
            "A failed %(standard)s test opened an enforcement case: your listings are held in "
            "%(markets)s."
        )
    return text % {**values, "fine": money(p.get("fine") or "0")}


def _case_appealed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("You appealed enforcement case #%(case)s.") % {"case": event.subject_id}


def _case_upheld(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("A compliance officer upheld enforcement case #%(case)s: its effects stand.") % {
        "case": event.subject_id
    }


def _case_overturned(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "A compliance officer overturned enforcement case #%(case)s: its holds are lifted and "
        "any fine is given back."
    ) % {"case": event.subject_id}


def _held(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("Listing #%(listing)s is held off sale in %(market)s.") % {
        "listing": p.get("listing", "?"),
        "market": _market(p.get("market")),
    }


def _lifted(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("The hold on listing #%(listing)s in %(market)s is lifted.") % {
        "listing": p.get("listing", "?"),
        "market": _market(p.get("market")),
    }


def _quarantined(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "%(quantity)s units of listing #%(listing)s are quarantined (enforcement case "
        "#%(case)s): not for sale until a compliance officer releases them."
    ) % {
        "quantity": p.get("quantity", "?"),
        "listing": p.get("listing", "?"),
        "case": p.get("case", "?"),
    }


def _released(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("%(quantity)s quarantined units are released for sale.") % {
        "quantity": p.get("quantity", "?")
    }


def _written_off(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("%(quantity)s quarantined units were written off.") % {
        "quantity": p.get("quantity", "?")
    }


DESCRIBE_ENFORCEMENT: dict[str, Describer] = {
    "compliance.case_opened": _case_opened,
    "compliance.case_appealed": _case_appealed,
    "compliance.case_upheld": _case_upheld,
    "compliance.case_overturned": _case_overturned,
    "compliance.market_held": _held,
    "compliance.market_lifted": _lifted,
    "compliance.stock_quarantined": _quarantined,
    "compliance.quarantine_released": _released,
    "compliance.quarantine_written_off": _written_off,
}


def link_enforcement(subject: Any) -> str:
    """The case's page, for a case, one of its holds or a quarantine of its stock."""
    if isinstance(subject, EnforcementCase):
        return reverse("portal:compliance_case_detail", args=[subject.pk])
    if isinstance(subject, MarketHold) and subject.case_id:
        return reverse("portal:compliance_case_detail", args=[subject.case_id])
    if isinstance(subject, Quarantine):
        return reverse("portal:compliance_case_detail", args=[subject.case_id])
    return ""
