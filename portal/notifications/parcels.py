"""The sentences of a parcel's tracking (parcel.<status>) and of its delivery target
(parcel.late), from their payload. Delivered, an exception, a return to the sender and a late
parcel say what happened and when; the steps on the way are one short line each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from marketplace.models import Event

from ..wording import local_time
from .sentences import Describer
from .subjects import Context


def _number(p: Mapping[str, Any], event: Event) -> str:
    return str(p.get("tracking_number") or _("parcel #%(id)s") % {"id": event.subject_id or "?"})


def _step(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        return _(sentence) % {"number": _number(p, event), "time": local_time(p.get("at"))}

    return describe


def _late(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Parcel %(number)s is late: picked up at %(time)s, it is still not delivered after "
        "%(days)s days."
    ) % {
        "number": _number(p, event),
        "time": local_time(p.get("picked_up_at")),
        "days": p.get("days", "?"),
    }


DESCRIBE_PARCELS: dict[str, Describer] = {
    "parcel.picked_up": _step(gettext_noop("Parcel %(number)s was picked up by the carrier.")),
    "parcel.departed_origin": _step(gettext_noop("Parcel %(number)s left its origin country.")),
    "parcel.arrived_destination": _step(
        gettext_noop("Parcel %(number)s arrived in its destination country.")
    ),
    "parcel.customs_cleared": _step(gettext_noop("Parcel %(number)s cleared customs.")),
    "parcel.out_for_delivery": _step(gettext_noop("Parcel %(number)s is out for delivery.")),
    "parcel.delivered": _step(gettext_noop("Parcel %(number)s was delivered at %(time)s.")),
    "parcel.exception": _step(
        gettext_noop("The carrier reported a problem with parcel %(number)s at %(time)s.")
    ),
    "parcel.returned": _step(
        gettext_noop("Parcel %(number)s was returned to its sender at %(time)s.")
    ),
    "parcel.late": _late,
}
