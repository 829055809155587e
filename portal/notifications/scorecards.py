"""The sentence of a standing change (scorecard.standing_changed): from which standing to which,
the score, and what the new standing means for the supplier."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from marketplace.models import Event

from ..scorecard.wording import standing_meaning, standing_name
from .sentences import Describer
from .subjects import Context


def _day(value: Any) -> str:
    """The scorecard's day as the page shows dates (the payload carries it in ISO form)."""
    try:
        return date_format(date.fromisoformat(str(value)), "DATE_FORMAT")
    except ValueError:
        return str(value or "?")


def _standing_changed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    words = {
        "from": standing_name(str(p.get("from", ""))),
        "to": standing_name(str(p.get("to", ""))),
        "day": _day(p.get("day", "")),
        "score": p.get("score"),
    }
    if words["score"] is None:
        text = _("Your standing moved from %(from)s to %(to)s with your scorecard of %(day)s.")
    else:
        text = _(
            "Your standing moved from %(from)s to %(to)s with your scorecard of %(day)s "
            "(overall score %(score)s)."
        )
    return f"{text % words} {standing_meaning(str(p.get('to', '')))}"


DESCRIBE_SCORECARDS: dict[str, Describer] = {
    "scorecard.standing_changed": _standing_changed,
}


def link_scorecards(kind: str) -> str:
    if kind.startswith("scorecard."):
        return reverse("portal:scorecard")
    return ""
