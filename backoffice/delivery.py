"""The operator dashboard's parcels: the queue of late parcels (shipping.selectors.late) and how
long delivery took per market over the last 30 days (pickup to delivery: p50, p90 and a
histogram by day, against the SPEC's 7-12-day target), drawn as the JIT charts are (inline SVG
from the server). A fixed handful of queries whatever the number of parcels."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.markets import Market
from shipping.models import Parcel
from shipping.selectors.late import late_parcels

WINDOW_DAYS = 30
LATE_ROWS = 5
# One bar per day of delivery time; the last gathers every parcel that took longer.
BINS = 21
CHART_WIDTH = 300
CHART_HEIGHT = 100
SLOT = CHART_WIDTH / BINS
GAP = 1.5


@dataclass(frozen=True)
class HistogramBar:
    x: float
    y: float
    height: float
    tone: str
    title: str


@dataclass(frozen=True)
class MarketDelivery:
    market: str
    label: str
    delivered: int
    p50: float
    p90: float
    within_target: int  # delivered within DELIVERY_TARGET_DAYS of pickup
    bars: list[HistogramBar]
    p50_x: float
    p90_x: float
    peak: int
    band_x: float = round(settings.DELIVERY_TARGET_MIN_DAYS * SLOT, 2)
    band_end: float = round(settings.DELIVERY_TARGET_DAYS * SLOT, 2)
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    bar_width: float = round(SLOT - GAP, 2)

    @property
    def band_width(self) -> float:
        return round(self.band_end - self.band_x, 2)

    @property
    def within_percent(self) -> int:
        return round(100 * self.within_target / self.delivered) if self.delivered else 0


# Days from pickup to delivery of the parcels delivered in the window (PostgreSQL); the
# percentiles interpolate between parcels, the bins count whole days.
_DAYS = """
WITH t AS (
    SELECT market, extract(epoch FROM delivered_at - picked_up_at) / 86400.0 AS days
    FROM shipping_parcel
    WHERE delivered_at >= %(since)s AND delivered_at <= %(now)s AND picked_up_at IS NOT NULL
)
SELECT market, NULL::int AS bin, count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY days),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY days),
       count(*) FILTER (WHERE days <= %(target)s)
FROM t GROUP BY market
UNION ALL
SELECT market, least(greatest(floor(days), 0), %(last)s)::int, count(*), NULL, NULL, NULL
FROM t GROUP BY 1, 2
"""


def _percentile(values: list[float], share: float) -> float:
    """percentile_cont's interpolation, for databases without it."""
    ordered = sorted(values)
    rank = share * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _rows(now: datetime) -> tuple[dict[str, tuple[int, float, float, int]], dict[str, list[int]]]:
    """Per market (delivered, p50, p90, within target) and the parcels per bin."""
    since = now - timedelta(days=WINDOW_DAYS)
    target = settings.DELIVERY_TARGET_DAYS
    summary: dict[str, tuple[int, float, float, int]] = {}
    bins: dict[str, list[int]] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_DAYS, {"since": since, "now": now, "target": target, "last": BINS - 1})
            for market, bin_, count, p50, p90, within in cursor.fetchall():
                if bin_ is None:
                    summary[market] = (count, float(p50), float(p90), within)
                else:
                    bins.setdefault(market, [0] * BINS)[bin_] = count
        return summary, bins
    days: dict[str, list[float]] = {}
    for market, picked, delivered in Parcel.objects.filter(
        delivered_at__gte=since, delivered_at__lte=now, picked_up_at__isnull=False
    ).values_list("market", "picked_up_at", "delivered_at"):
        if picked is not None and delivered is not None:  # both, by the filter
            days.setdefault(market, []).append((delivered - picked).total_seconds() / 86400)
    for market, values in days.items():
        within = sum(1 for value in values if value <= target)
        summary[market] = (
            len(values),
            _percentile(values, 0.5),
            _percentile(values, 0.9),
            within,
        )
        counts = bins.setdefault(market, [0] * BINS)
        for value in values:
            counts[min(max(math.floor(value), 0), BINS - 1)] += 1
    return summary, bins


def _x(days: float) -> float:
    return round(min(days, BINS) * SLOT, 2)


def delivery_times(now: datetime | None = None) -> list[MarketDelivery]:
    """Each market with a parcel delivered in the last 30 days, in the markets' order."""
    now = now or timezone.now()
    summary, bins = _rows(now)
    target = settings.DELIVERY_TARGET_DAYS
    shown = []
    for market, label in Market.choices:
        if market not in summary:
            continue
        delivered, p50, p90, within = summary[market]
        counts = bins.get(market, [0] * BINS)
        peak = max(counts) or 1
        bars = []
        for n, count in enumerate(counts):
            height = round(count / peak * CHART_HEIGHT, 2)
            if count:
                height = max(height, 1.0)
            span = (
                _("%(n)d+ days") % {"n": n}
                if n == BINS - 1
                else _("%(a)d-%(b)d days")
                % {
                    "a": n,
                    "b": n + 1,
                }
            )
            title = ngettext("%(span)s: %(count)d parcel", "%(span)s: %(count)d parcels", count) % {
                "span": span,
                "count": count,
            }
            bars.append(
                HistogramBar(
                    x=round(n * SLOT + GAP / 2, 2),
                    y=round(CHART_HEIGHT - height, 2),
                    height=height,
                    tone="empty" if not count else "ok" if n < target else "bad",
                    title=title,
                )
            )
        shown.append(
            MarketDelivery(
                market=market,
                label=str(label),
                delivered=delivered,
                p50=round(p50, 1),
                p90=round(p90, 1),
                within_target=within,
                bars=bars,
                p50_x=_x(p50),
                p90_x=_x(p90),
                peak=peak,
            )
        )
    return shown


def delivery_figures() -> dict[str, Any]:
    late = late_parcels()
    return {
        "late_count": late.count(),
        "late_oldest": list(
            late.order_by("picked_up_at", "pk").only(
                "pk", "tracking_number", "market", "status", "picked_up_at"
            )[:LATE_ROWS]
        ),
        "times": delivery_times(),
        "target_min": settings.DELIVERY_TARGET_MIN_DAYS,
        "target": settings.DELIVERY_TARGET_DAYS,
        "window": WINDOW_DAYS,
        "last_label": _("%(n)d+ days") % {"n": BINS - 1},
    }
