"""The scorecard in the supplier's words: each standing and what it means for the supplier (its
consequences, from the settings), each component's name and counts. The page and the
standing-change notification share them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from suppliers.models import Standing

COMPONENT_NAMES = {
    "on_time": gettext_lazy("On-time shipment"),
    "quality": gettext_lazy("Warehouse quality"),
    "returns": gettext_lazy("Consumer returns"),
    "return_defects": gettext_lazy("Defects of returned units"),
    "lab_pass": gettext_lazy("Lab tests"),
    "corrective": gettext_lazy("Corrective actions"),
}


def standing_name(standing: str) -> str:
    try:
        return str(Standing(standing).label)
    except ValueError:
        return standing


def _weight(standing: str) -> str:
    return f"{Decimal(settings.STANDING_SAMPLING_WEIGHT.get(standing, 1)).normalize():f}"


def standing_meaning(standing: str) -> str:
    """What the standing means for the supplier, in words (the rules of the README's
    "Standings and their consequences")."""
    words = {"cap": settings.STOCKING_CAP_UNITS, "weight": _weight(standing)}
    if standing == Standing.VERY_POOR:
        return (
            _(
                "You cannot bid in tenders and no restock proposals are made for your listings. "
                "Stocking orders for your listings stay capped at %(cap)s units, and your "
                "products are picked for lab test purchases more often (weight x%(weight)s)."
            )
            % words
        )
    if standing == Standing.POOR:
        return (
            _(
                "This is a warning. Stocking orders for your listings stay capped at %(cap)s "
                "units, and your products are picked for lab test purchases more often (weight "
                "x%(weight)s). Below the poor band you could no longer bid in tenders."
            )
            % words
        )
    if standing == Standing.EXCELLENT:
        return (
            _(
                "You bid in tenders, your listings are stocked as their own record allows, and "
                "your products are picked for lab test purchases less often (weight x%(weight)s)."
            )
            % words
        )
    if standing == Standing.NEW:
        return _(
            "Nothing of yours was scored yet: a new supplier is treated like a good one, not as "
            "failing. You bid in tenders, your listings are stocked as their own record allows, "
            "and your products are picked for lab test purchases at the normal rate."
        )
    return (
        _(
            "You bid in tenders, your listings are stocked as their own record allows, and your "
            "products are picked for lab test purchases at the normal rate (weight x%(weight)s)."
        )
        % words
    )


def counts_text(name: str, n: int, hits: int) -> str:
    """The counts behind a component: "12 of 14 shipped on time"."""
    days = settings.SCORECARD_WINDOW_DAYS
    if name == "corrective":
        if not n:
            return _("No factory audit yet")
        return ngettext("%(n)s open corrective action", "%(n)s open corrective actions", hits) % {
            "n": hits
        }
    if not n:
        return ngettext(
            "Nothing to count in the last %(days)s day",
            "Nothing to count in the last %(days)s days",
            days,
        ) % {"days": days}
    words = {"hits": hits, "n": n}
    if name == "on_time":
        return (
            ngettext("%(hits)s of %(n)s shipment on time", "%(hits)s of %(n)s shipments on time", n)
            % words
        )
    if name == "quality":
        return (
            ngettext(
                "%(hits)s of %(n)s lot rejected at inspection",
                "%(hits)s of %(n)s lots rejected at inspection",
                n,
            )
            % words
        )
    if name == "returns":
        return (
            ngettext(
                "%(hits)s of %(n)s unit sold returned as defective or not as described",
                "%(hits)s of %(n)s units sold returned as defective or not as described",
                n,
            )
            % words
        )
    if name == "return_defects":
        return (
            ngettext(
                "%(hits)s of %(n)s returned unit found defective",
                "%(hits)s of %(n)s returned units found defective",
                n,
            )
            % words
        )
    return (
        ngettext("%(hits)s of %(n)s lab test passed", "%(hits)s of %(n)s lab tests passed", n)
        % words
    )
