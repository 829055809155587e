"""The sentences of compliance expiry: a test or certificate about to expire, a listing that
lapsed in a market or may be sold there again. From the payload (and the listing, when the
event's subject is loaded)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from catalogue.models import Market
from compliance.models import ListingMarketStatus
from compliance.selectors.expiry import reason_texts
from marketplace.models import Event

from ..wording import product_title
from .subjects import Context, choice_label


def _listing(p: Mapping[str, Any], c: Context) -> str:
    status = c.subject if isinstance(c.subject, ListingMarketStatus) else None
    if status is None:
        return _("listing #%(id)s") % {"id": p.get("listing", "?")}
    return _("“%(product)s” (listing #%(id)s)") % {
        "product": product_title(status.listing.product),
        "id": status.listing_id,
    }


def record_expiring(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Test report %(report)s (%(standard)s) expires on %(date)s, in %(days)s days: have the "
        "product tested again so its listings stay on sale."
    ) % {
        "report": p.get("report_number", "?"),
        "standard": p.get("standard", "?"),
        "date": p.get("valid_until", "?"),
        "days": p.get("days_left", "?"),
    }


def certificate_expiring(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Certificate %(number)s (%(standards)s) expires on %(date)s, in %(days)s days: upload "
        "its renewal so your listings stay on sale."
    ) % {
        "number": p.get("number", "?"),
        "standards": ", ".join(p.get("standards") or []) or "?",
        "date": p.get("valid_until", "?"),
        "days": p.get("days_left", "?"),
    }


def lapsed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    reasons = reason_texts(p.get("reasons") or [])
    words = {"listing": _listing(p, c), "market": choice_label(Market, p.get("market"))}
    if reasons:
        return _("%(listing)s may no longer be sold in %(market)s: %(reasons)s") % {
            **words,
            "reasons": " ".join(reasons),
        }
    return _("%(listing)s may no longer be sold in %(market)s.") % words


def restored(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("%(listing)s may be sold in %(market)s again.") % {
        "listing": _listing(p, c),
        "market": choice_label(Market, p.get("market")),
    }
