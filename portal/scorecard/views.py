"""The portal's "Scorecard" page (SPEC, "Scorecard"): the supplier's latest scorecard (overall
score, standing and what it means), each component with its counts, its 95% interval, its
score or "no data", its weight, and the trend of the last TREND_DAYS days as an inline SVG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from marketplace.formatting import suppliers_today
from scorecards.selectors.cards import explain, history, scorecards_visible_to
from scorecards.selectors.scoring import COMPONENTS
from suppliers.models import Scorecard

from ..access import SupplierRequest, supplier_required
from ..wording import percent
from .wording import COMPONENT_NAMES, counts_text, standing_meaning, standing_name

TREND_DAYS = 90
CHART_W, CHART_H = 900, 180
# The components' lines, in the page's palette (the overall line is the ink's).
LINE_COLOURS = ["#2563eb", "#d97706", "#7c3aed", "#db2777", "#059669", "#64748b"]


@dataclass(frozen=True)
class ComponentLine:
    name: str
    label: str
    counts: str
    scored: bool
    interval: str
    score: Decimal | None
    score_high: Decimal | None
    weight: int
    share: str


@dataclass(frozen=True)
class TrendLine:
    name: str
    label: str
    colour: str
    points: str  # SVG polyline points; empty with fewer than two scored days
    words: str  # the same figures in words (screen readers, print)


def _interval(low: Decimal | None, high: Decimal | None) -> str:
    if low is None or high is None:
        return "—"
    return _("%(low)s to %(high)s") % {"low": percent(low), "high": percent(high)}


def _trend(cards: list[Scorecard], field: str, first_day_index: dict[date, int]) -> str:
    step = CHART_W / (TREND_DAYS - 1)
    points = []
    for card in cards:
        value = getattr(card, field)
        if value is None:
            continue
        x = first_day_index[card.day] * step
        y = CHART_H - float(value) / 100 * CHART_H
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points) if len(points) > 1 else ""


def _words(cards: list[Scorecard], field: str) -> str:
    scored = [c for c in cards if getattr(c, field) is not None]
    if not scored:
        return _("no data")
    first, last = scored[0], scored[-1]
    return _("%(first)s on %(first_day)s, %(last)s on %(last_day)s") % {
        "first": f"{getattr(first, field):.2f}",
        "first_day": date_format(first.day, "DATE_FORMAT"),
        "last": f"{getattr(last, field):.2f}",
        "last_day": date_format(last.day, "DATE_FORMAT"),
    }


def _bands() -> list[dict[str, object]]:
    """The standing bands as the chart's background and the page's legend."""
    found = []
    for name, low, high in settings.SCORECARD_STANDINGS:
        top = CHART_H - float(high) / 100 * CHART_H
        found.append(
            {
                "name": name,
                "label": standing_name(name),
                "low": low,
                "high": high,
                "y": f"{top:.1f}",
                "height": f"{(float(high) - float(low)) / 100 * CHART_H:.1f}",
            }
        )
    return found


@supplier_required
@require_GET
def scorecard(request: SupplierRequest) -> HttpResponse:
    today = suppliers_today()
    visible = scorecards_visible_to(request.user)
    card = visible.order_by("-day").first()
    components: list[ComponentLine] = []
    trend: list[TrendLine] = []
    if card is not None:
        for c in explain(card):
            components.append(
                ComponentLine(
                    name=c.name,
                    label=str(COMPONENT_NAMES[c.name]),
                    counts=counts_text(c.name, c.n, c.hits),
                    scored=c.scored,
                    interval=_interval(c.low, c.high),
                    score=c.score,
                    score_high=c.score_high,
                    weight=c.weight,
                    share="" if c.share is None else percent(c.share),
                )
            )
        cards = history(card.supplier_id, until=today, days=TREND_DAYS)
        days = [today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
        index = {day: i for i, day in enumerate(days)}
        trend.append(
            TrendLine(
                "overall",
                _("Overall score"),
                "var(--ink, #111827)",
                _trend(cards, "score", index),
                _words(cards, "score"),
            )
        )
        for component, colour in zip(COMPONENTS, LINE_COLOURS, strict=True):
            trend.append(
                TrendLine(
                    component.name,
                    str(COMPONENT_NAMES[component.name]),
                    colour,
                    _trend(cards, component.score_field, index),
                    _words(cards, component.score_field),
                )
            )
    standing = card.standing if card is not None else "new"
    return render(
        request,
        "portal/scorecard/scorecard.html",
        {
            "card": card,
            "standing": standing,
            "standing_label": standing_name(standing),
            "meaning": standing_meaning(standing),
            "components": components,
            "trend": trend,
            "has_trend": any(line.points for line in trend),
            "bands": _bands(),
            "chart_w": CHART_W,
            "chart_h": CHART_H,
            "trend_days": TREND_DAYS,
            "window_days": settings.SCORECARD_WINDOW_DAYS,
            "confidence": f"{Decimal(settings.SCORECARD_CONFIDENCE) * 100:.0f}%",
            "corrective_points": settings.SCORECARD_CORRECTIVE_POINTS,
        },
    )


urlpatterns: list[URLPattern] = [path("scorecard/", scorecard, name="scorecard")]
