"""The "Return rates" tab of the portal's Returns section: each listing's 30-day return rate
against the thresholds (8% warning, 15% pause) with its trend over the last days, the open
breaches, and a breach's page with the appeal of its fine."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from catalogue.models import Listing, ListingReturnRate
from marketplace.errors import DomainError
from returns.models import ReturnRateBreach
from returns.selectors.return_rates import (
    breaches_visible_to,
    return_rates_visible_to,
    trend_days,
)
from returns.services.return_rate import breach_appeal

from ..access import SupplierRequest, supplier_required
from ..errors import error_summary, show_domain_error
from ..wording import describe_entries, percent

PAGE_SIZE = 20
TREND_DAYS = 14
# The bar's full width: twice the pause threshold, so both marks sit well inside it.
BAR_SCALE = 2
# The trend chart's size in SVG units.
CHART_W, CHART_H = 140, 36


class BreachAppealForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Why is the fine wrong?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


@dataclass(frozen=True)
class RateLine:
    listing: Listing
    latest: ListingReturnRate
    standing: str  # ok, few, none, warning, pause
    standing_text: str
    bar_width: str  # a percentage of the bar's width, as a string for the SVG
    trend_points: str  # SVG polyline points; empty without two rated days
    trend_text: str


def _scale() -> Decimal:
    return Decimal(settings.RETURN_RATE_PAUSE) * BAR_SCALE


def _x(rate: Decimal | None) -> str:
    """Where a rate sits on the bar, in percent of its width (capped at the end)."""
    if rate is None:
        return "0"
    return f"{min(rate / _scale(), Decimal(1)) * 100:.1f}"


def _standing(row: ListingReturnRate) -> tuple[str, str]:
    if row.rate is None:
        return "none", _("No sales in the window")
    if row.units_sold < settings.RETURN_RATE_MIN_UNITS:
        return "few", _("Fewer than %(n)s units sold: not judged yet") % {
            "n": settings.RETURN_RATE_MIN_UNITS
        }
    returned, sold = Decimal(row.units_returned), row.units_sold
    if returned > Decimal(settings.RETURN_RATE_PAUSE) * sold:
        return "pause", _("Over %(pause)s: paused and fined") % {
            "pause": percent(settings.RETURN_RATE_PAUSE)
        }
    if returned > Decimal(settings.RETURN_RATE_LIMIT) * sold:
        return "warning", _("Over %(limit)s: warning") % {
            "limit": percent(settings.RETURN_RATE_LIMIT)
        }
    return "ok", _("Within the limit")


def _trend(rows: dict[date, ListingReturnRate], days: list[date]) -> tuple[str, str]:
    """The polyline of the rated days (a day without a rate leaves no point) and the same
    figures in words, for screen readers and print."""
    top = _scale()
    points, words = [], []
    step = CHART_W / max(len(days) - 1, 1)
    for index, day in enumerate(days):
        row = rows.get(day)
        if row is None or row.rate is None:
            continue
        y = CHART_H - float(min(row.rate / top, Decimal(1))) * CHART_H
        points.append(f"{index * step:.1f},{y:.1f}")
        words.append(f"{day:%m-%d} {percent(row.rate)}")
    return (" ".join(points) if len(points) > 1 else ""), ", ".join(words)


def _threshold_y(threshold: Decimal) -> str:
    return f"{CHART_H - float(Decimal(threshold) / _scale()) * CHART_H:.1f}"


@supplier_required
@require_GET
def return_rates(request: SupplierRequest) -> HttpResponse:
    today = timezone.localdate()
    days = trend_days(today, TREND_DAYS)
    visible = return_rates_visible_to(request.user).filter(day__gte=days[0])
    listing_ids = visible.order_by("listing_id").values_list("listing_id", flat=True).distinct()
    page = Paginator(listing_ids, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    by_listing: dict[int, dict[date, ListingReturnRate]] = defaultdict(dict)
    for row in visible.filter(listing_id__in=ids):
        by_listing[row.listing_id][row.day] = row
    listings = Listing.objects.select_related("product").in_bulk(ids)
    lines = []
    for pk in ids:
        rows = by_listing[pk]
        latest = rows[max(rows)]
        standing, standing_text = _standing(latest)
        points, words = _trend(rows, days)
        lines.append(
            RateLine(
                listing=listings[pk],
                latest=latest,
                standing=standing,
                standing_text=standing_text,
                bar_width=_x(latest.rate),
                trend_points=points,
                trend_text=words,
            )
        )
    breaches = breaches_visible_to(request.user).select_related("listing__product")
    open_breaches = list(breaches.filter(ended_at__isnull=True).order_by("-detected_at", "-id"))
    recent = list(
        breaches.filter(ended_at__isnull=False).order_by("-detected_at", "-id")[:PAGE_SIZE]
    )
    return render(
        request,
        "portal/returns/rates.html",
        {
            "page_obj": page,
            "lines": lines,
            "open_breaches": open_breaches,
            "recent_breaches": recent,
            "limit": percent(settings.RETURN_RATE_LIMIT),
            "pause": percent(settings.RETURN_RATE_PAUSE),
            "limit_x": _x(Decimal(settings.RETURN_RATE_LIMIT)),
            "pause_x": _x(Decimal(settings.RETURN_RATE_PAUSE)),
            "limit_y": _threshold_y(settings.RETURN_RATE_LIMIT),
            "pause_y": _threshold_y(settings.RETURN_RATE_PAUSE),
            "chart_w": CHART_W,
            "chart_h": CHART_H,
            "window_days": settings.RETURN_RATE_WINDOW_DAYS,
            "min_units": settings.RETURN_RATE_MIN_UNITS,
            "trend_days": TREND_DAYS,
            "appeal_days": settings.RETURN_RATE_APPEAL_DAYS,
            "returns_tab": "rates",
        },
    )


def _breaches(request: SupplierRequest) -> QuerySet[ReturnRateBreach]:
    return breaches_visible_to(request.user).select_related("listing__product", "fine", "reversal")


def _breach_page(
    request: SupplierRequest, breach: ReturnRateBreach, form: BreachAppealForm | None = None
) -> HttpResponse:
    may_appeal = breach.appealable
    if form is None and may_appeal:
        form = BreachAppealForm()
    shown_form = form if may_appeal else None
    entries = [e for e in (breach.fine, breach.reversal) if e is not None]
    return render(
        request,
        "portal/returns/breach_detail.html",
        {
            "breach": breach,
            "rate": percent(breach.rate),
            "threshold": percent(
                settings.RETURN_RATE_PAUSE
                if breach.level == ReturnRateBreach.Level.PAUSE
                else settings.RETURN_RATE_LIMIT
            ),
            "entries": entries,
            "entry_texts": describe_entries(entries),
            "form": shown_form,
            "errors": error_summary(shown_form) if shown_form else [],
            "appeal_days": settings.RETURN_RATE_APPEAL_DAYS,
            "window_days": settings.RETURN_RATE_WINDOW_DAYS,
            "returns_tab": "rates",
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def breach_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    breach = get_object_or_404(_breaches(request), pk=pk)
    if request.method != "POST":
        return _breach_page(request, breach)
    form = BreachAppealForm(request.POST)
    if form.is_valid():
        try:
            breach_appeal(breach, text=form.cleaned_data["text"], actor=request.user)
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(
                request, _("Appeal sent. The marketplace will uphold it or dismiss it.")
            )
            return redirect("portal:return_rate_breach", pk=breach.pk)
    return _breach_page(request, get_object_or_404(_breaches(request), pk=pk), form=form)


urlpatterns: list[URLPattern] = [
    path("returns/rates/", return_rates, name="return_rates"),
    path("returns/rates/breaches/<int:pk>/", breach_detail, name="return_rate_breach"),
]
