"""The sentences of a parcel's making, holds and shipment (parcel.created, held, released,
shipped), from their payload and the parcel; tracking's own are in parcels.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from marketplace.markets import Market
from marketplace.models import Event
from shipping.models import Parcel

from ..wording import product_title
from .sentences import Describer
from .subjects import Context, choice_label


def _what(event: Event, c: Context) -> dict[str, Any]:
    parcel = c.subject if isinstance(c.subject, Parcel) else None
    return {
        "parcel": f"#{parcel.pk if parcel else event.subject_id}",
        "product": product_title(parcel.listing.product) if parcel else "?",
    }


def _created(p: Mapping[str, Any], event: Event, c: Context) -> str:
    if p.get("mode") == Parcel.Mode.SELLER:
        return _(
            "New consumer order to ship yourself: parcel %(parcel)s (“%(product)s”) to "
            "%(market)s. Post its carrier and tracking number once it leaves."
        ) % {**_what(event, c), "market": choice_label(Market, p.get("market"))}
    return _("Parcel %(parcel)s (“%(product)s”) was packed for %(market)s.") % {
        **_what(event, c),
        "market": choice_label(Market, p.get("market")),
    }


def _held(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Parcel %(parcel)s (“%(product)s”) is held: compliance does not allow shipping it to "
        "%(market)s now. Open it to see why."
    ) % {**_what(event, c), "market": choice_label(Market, p.get("market"))}


def _released(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("Parcel %(parcel)s (“%(product)s”) is no longer held and may ship.") % _what(event, c)


def _shipped(p: Mapping[str, Any], event: Event, c: Context) -> str:
    if p.get("batch"):
        return _("Parcel %(parcel)s (“%(product)s”) left on its air freight batch.") % _what(
            event, c
        )
    return _("You shipped parcel %(parcel)s (“%(product)s”) with %(carrier)s, %(number)s.") % {
        **_what(event, c),
        "carrier": p.get("carrier", "?"),
        "number": p.get("tracking_number", "?"),
    }


DESCRIBE_PARCEL_GATE: dict[str, Describer] = {
    "parcel.created": _created,
    "parcel.held": _held,
    "parcel.released": _released,
    "parcel.shipped": _shipped,
}


def link_parcels(subject: Any) -> str:
    if isinstance(subject, Parcel):
        return reverse("portal:parcel_detail", args=[subject.pk])
    return ""
