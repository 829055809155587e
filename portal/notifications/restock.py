"""The sentences of restock proposals (restock_proposal.*): proposed, withdrawn, confirmed,
issued by the marketplace, declined, expired and snoozed, from the payload (and the listing,
when the proposal is loaded)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from marketplace.models import Event
from restock.models import RestockProposal

from ..wording import product_title
from .sentences import Describer
from .subjects import Context


def _day(value: Any) -> str:
    try:
        return date_format(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "?")


def _words(p: Mapping[str, Any], event: Event, c: Context) -> dict[str, Any]:
    proposal = c.subject if isinstance(c.subject, RestockProposal) else None
    if proposal is None:
        listing = _("listing #%(id)s") % {"id": p.get("listing", "?")}
    else:
        listing = _("“%(product)s” (listing #%(id)s)") % {
            "product": product_title(proposal.listing.product),
            "id": proposal.listing_id,
        }
    return {
        "id": proposal.pk if proposal else event.subject_id,
        "listing": listing,
        "quantity": p.get("quantity", "?"),
        "order": p.get("stocking_order", "?"),
        "ship_by": _day(p.get("ship_by")),
        "days": p.get("days", "?"),
        "until": _day(p.get("snoozed_until")),
    }


def _proposed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    words = _words(p, event, c)
    if p.get("urgent"):
        return (
            _(
                "Urgent restock proposal #%(id)s: %(listing)s is trending; the marketplace "
                "proposes %(quantity)s units. Confirm, decline or snooze it."
            )
            % words
        )
    return (
        _(
            "Restock proposal #%(id)s: the marketplace proposes %(quantity)s units of "
            "%(listing)s. Confirm, decline or snooze it."
        )
        % words
    )


def _withdrawn(p: Mapping[str, Any], event: Event, c: Context) -> str:
    """The planning job's reason is kept in English on the event: said here in the reader's
    language, from its first words."""
    reason = (event.reason or "").lower()
    if reason.startswith("covered"):
        why = _("the stock available, on the way and ordered now covers the forecast need")
    elif reason.startswith("no orders"):
        why = _("the listing has had no orders for a long time")
    elif "standing" in reason:
        why = _("your standing is very poor")
    else:
        why = _("the listing is no longer planned")
    return _("Restock proposal #%(id)s for %(listing)s was withdrawn: %(why)s.") % {
        **_words(p, event, c),
        "why": why,
    }


def _confirmed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "You confirmed restock proposal #%(id)s for %(listing)s: stocking order #%(order)s for "
        "%(quantity)s units, to ship by %(ship_by)s."
    ) % _words(p, event, c)


def _issued(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "The marketplace issued restock proposal #%(id)s for %(listing)s as stocking order "
        "#%(order)s (%(quantity)s units)."
    ) % _words(p, event, c)


def _declined(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("You declined restock proposal #%(id)s for %(listing)s.") % _words(p, event, c)


def _expired(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Restock proposal #%(id)s for %(listing)s (%(quantity)s units) expired unanswered."
    ) % _words(p, event, c)


def _snoozed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("Restock proposal #%(id)s for %(listing)s is snoozed until %(until)s.") % _words(
        p, event, c
    )


DESCRIBE_RESTOCK: dict[str, Describer] = {
    "restock_proposal.proposed": _proposed,
    "restock_proposal.withdrawn": _withdrawn,
    "restock_proposal.confirmed": _confirmed,
    "restock_proposal.issued": _issued,
    "restock_proposal.declined": _declined,
    "restock_proposal.expired": _expired,
    "restock_proposal.snoozed": _snoozed,
}


def link_restock(subject: Any) -> str:
    if isinstance(subject, RestockProposal):
        return reverse("portal:restock_proposal_detail", args=[subject.pk])
    return ""


# Their reason is the planning job's English words, which the sentence already says.
CODE_REASONS_RESTOCK = frozenset({"restock_proposal.withdrawn"})
