"""The sentences of the return-rate feedback (return_rate.*): a warning, a pause and its fine,
and the appeal of the fine, from the payload (and the listing, when the breach is loaded)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace.models import Event
from returns.models import ReturnRateBreach

from ..wording import local_time, money, percent, product_title
from .sentences import Describer
from .subjects import Context


def _listing(p: Mapping[str, Any], c: Context) -> str:
    breach = c.subject if isinstance(c.subject, ReturnRateBreach) else None
    if breach is None:
        return _("listing #%(id)s") % {"id": p.get("listing", "?")}
    return _("“%(product)s” (listing #%(id)s)") % {
        "product": product_title(breach.listing.product),
        "id": breach.listing_id,
    }


def _figures(p: Mapping[str, Any], c: Context) -> dict[str, Any]:
    return {
        "listing": _listing(p, c),
        "rate": percent(p.get("rate")),
        "returned": p.get("units_returned", "?"),
        "sold": p.get("units_sold", "?"),
        "days": settings.RETURN_RATE_WINDOW_DAYS,
        "limit": percent(settings.RETURN_RATE_LIMIT),
        "pause": percent(settings.RETURN_RATE_PAUSE),
    }


def _warning(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Return-rate warning for %(listing)s: %(returned)s of %(sold)s units sold in the last "
        "%(days)s days came back defective or not as described (%(rate)s, over the %(limit)s "
        "limit). Over %(pause)s the listing is paused and fined."
    ) % _figures(p, c)


def _paused(p: Mapping[str, Any], event: Event, c: Context) -> str:
    words = {
        **_figures(p, c),
        "fine": money(p.get("fine") or "0"),
        "until": local_time(p.get("appeal_until")),
    }
    if p.get("paused"):
        text = _(
            "%(listing)s is paused for review: %(returned)s of %(sold)s units sold in the last "
            "%(days)s days came back defective or not as described (%(rate)s, over %(pause)s). "
            "An operator decides when it goes back on sale."
        )
    else:
        text = _(
            "The return rate of %(listing)s is over %(pause)s: %(returned)s of %(sold)s units "
            "sold in the last %(days)s days came back defective or not as described (%(rate)s)."
        )
    text = text % words
    if Decimal(str(p.get("fine") or "0")) > 0:
        text += " " + (
            _(
                "You are fined %(fine)s CNY, the supply value of those units; you may appeal "
                "until %(until)s."
            )
            % words
        )
    return text


def _appealed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("You appealed the return-rate fine on %(listing)s.") % {"listing": _listing(p, c)}


def _upheld(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "The marketplace upheld your appeal: the return-rate fine on %(listing)s is given back. "
        "The listing stays paused until an operator resumes it."
    ) % {"listing": _listing(p, c)}


def _dismissed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "The marketplace dismissed your appeal: the return-rate fine on %(listing)s stands."
    ) % {"listing": _listing(p, c)}


DESCRIBE_RETURN_RATES: dict[str, Describer] = {
    "return_rate.warning": _warning,
    "return_rate.paused": _paused,
    "return_rate.appealed": _appealed,
    "return_rate.upheld": _upheld,
    "return_rate.dismissed": _dismissed,
}

# Their reason is the rate, which the sentence already gives.
CODE_REASONS_RETURN_RATES = frozenset({"return_rate.warning", "return_rate.paused"})


def link_return_rates(subject: Any) -> str:
    if isinstance(subject, ReturnRateBreach):
        return reverse("portal:return_rates")
    return ""
