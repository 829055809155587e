"""Compliance KPIs for operators (admin /admin/compliance-kpis/): cards and month charts,
filterable by category (with its subcategories), supplier and market, and a CSV of the rows
behind each figure.

- test pass rate: verified test records by month of issue, passes over all results;
- safety incidents: verified failed tests of products sold live by the supplier tested;
- regulatory holds: live listings blocked per market (the answer kept by the daily expiry job,
  compliance.ListingMarketStatus) and market holds in force;
- open corrective actions by age (days since the audit), and those overdue;
- records expiring within 30 days (passing, counting, of products sold live);
- fraud signals open (compliance.selectors.fraud);
- the return rate: units returned as defective or not as described over units sold in the 30
  days up to the last rated day of each month, over the listings under the filter (the daily
  return-rate job's catalogue.ListingReturnRate rows; a market filter does not apply, a
  listing's rate counts all its markets), the listings over the 8% limit on the latest day, and
  the return-rate breaches open.

Each figure is one aggregate query (a few for the month series), whatever the number of rows."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from catalogue.models import Category, Listing, ListingReturnRate, Market
from catalogue.selectors import category_subtree
from compliance.models import CorrectiveAction, ListingMarketStatus, MarketHold, TestRecord
from compliance.selectors import fraud
from marketplace.admin_export import BOM, FORMULA_START
from returns.models import ReturnRateBreach
from suppliers.models import Supplier

from .dashboard import CHART_HEIGHT, CHART_WIDTH, Bar, _bars

PERMISSION = "compliance.view_testrecord"
EXPIRING_DAYS = 30
ACTION_AGES = [(0, 30), (31, 60), (61, 90), (91, None)]
MAX_MONTHS = 36


# --- Filters ---------------------------------------------------------------------------------


class KpiFilterForm(forms.Form):
    category = forms.ModelChoiceField(
        Category.objects.order_by("code"), required=False, label=gettext_lazy("Category")
    )
    supplier = forms.ModelChoiceField(
        Supplier.objects.order_by("name_en"), required=False, label=gettext_lazy("Supplier")
    )
    market = forms.ChoiceField(
        choices=[("", "---------"), *Market.choices], required=False, label=gettext_lazy("Market")
    )
    months = forms.IntegerField(
        min_value=1, max_value=MAX_MONTHS, required=False, label=gettext_lazy("Months")
    )


@dataclass(frozen=True)
class KpiFilter:
    categories: list[int] | None = None  # the category and its subcategories
    supplier_id: int | None = None
    market: str | None = None
    months: int = 12
    today: date | None = None

    @property
    def day(self) -> date:
        return self.today or timezone.localdate()

    def month_starts(self) -> list[date]:
        """The first day of each month of the window, oldest first (this month last)."""
        first = self.day.replace(day=1)
        starts = []
        year, month = first.year, first.month
        for _n in range(self.months):
            starts.append(date(year, month, 1))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return starts[::-1]

    def q(self, *, category: str, supplier: str, market: str | None) -> Q:
        """The filter as a condition on a model, given the paths to its category, supplier and
        market (None: the figure has no market)."""
        condition = Q()
        if self.categories is not None:
            condition &= Q(**{f"{category}__in": self.categories})
        if self.supplier_id is not None:
            condition &= Q(**{supplier: self.supplier_id})
        if self.market and market is not None:
            condition &= Q(**{market: self.market})
        return condition


def filter_from(form: KpiFilterForm) -> KpiFilter:
    data = form.cleaned_data if form.is_valid() else {}
    category = data.get("category")
    supplier = data.get("supplier")
    return KpiFilter(
        categories=category_subtree(category.pk) if category else None,
        supplier_id=supplier.pk if supplier else None,
        market=data.get("market") or None,
        months=data.get("months") or 12,
    )


# --- The rows behind each figure --------------------------------------------------------------


def _live_listing_of_record() -> Exists:
    return Exists(
        Listing.objects.filter(
            product_id=OuterRef("product_id"),
            supplier_id=OuterRef("supplier_id"),
            status=Listing.Status.LIVE,
        )
    )


def _record_filter(f: KpiFilter) -> Q:
    return f.q(category="product__category_id", supplier="supplier_id", market="standard__market")


def verified_tests(f: KpiFilter) -> QuerySet[TestRecord]:
    """Verified test records issued within the window."""
    return TestRecord.objects.filter(
        _record_filter(f),
        status=TestRecord.Status.VERIFIED,
        issued_on__gte=f.month_starts()[0],
        issued_on__lte=f.day,
    )


def safety_incidents(f: KpiFilter) -> QuerySet[TestRecord]:
    """Verified failed tests in the window of products their supplier sells live."""
    return verified_tests(f).filter(_live_listing_of_record(), result=TestRecord.Result.FAIL)


def expiring_records(f: KpiFilter) -> QuerySet[TestRecord]:
    """Passing counting records of products sold live that expire within 30 days."""
    now = timezone.now()
    return TestRecord.objects.filter(
        _record_filter(f),
        _live_listing_of_record(),
        Q(superseded_at__isnull=True) | Q(superseded_at__gt=now),
        status=TestRecord.Status.VERIFIED,
        result=TestRecord.Result.PASS,
        valid_until__gte=f.day,
        valid_until__lte=f.day + timedelta(days=EXPIRING_DAYS),
    )


def blocked_listings(f: KpiFilter) -> QuerySet[ListingMarketStatus]:
    """Live listings whose last answer in a market says they may not be sold there."""
    return ListingMarketStatus.objects.filter(
        f.q(
            category="listing__product__category_id",
            supplier="listing__supplier_id",
            market="market",
        ),
        may_sell=False,
        listing__status=Listing.Status.LIVE,
    )


def holds_in_force(f: KpiFilter) -> QuerySet[MarketHold]:
    now = timezone.now()
    return MarketHold.objects.filter(
        f.q(
            category="listing__product__category_id",
            supplier="listing__supplier_id",
            market="market",
        ),
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=now),
        started_at__lte=now,
    )


def open_actions(f: KpiFilter) -> QuerySet[CorrectiveAction]:
    """Corrective actions not closed (a market filter does not apply: audits have none)."""
    return CorrectiveAction.objects.filter(
        f.q(category="finding__category_id", supplier="supplier_id", market=None)
    ).exclude(status=CorrectiveAction.Status.CLOSED)


def fraud_signals_open(f: KpiFilter) -> int:
    """The open fraud signals of the records under the filter (a record with two signals counts
    two), by compliance.selectors.fraud's flags: one query."""
    flagged = fraud.suspect_records(TestRecord.objects.filter(_record_filter(f)))
    counts = flagged.aggregate(
        **{code: Count("id", filter=Q(**{f"fraud_{code}": True})) for code in fraud.CODES}
    )
    return sum(counts.values())


def return_rate_rows(f: KpiFilter) -> QuerySet[ListingReturnRate]:
    """The return-rate job's daily rows of the listings under the filter (no market: a
    listing's 30-day figure counts all its markets)."""
    return ListingReturnRate.objects.filter(
        f.q(category="listing__product__category_id", supplier="listing__supplier_id", market=None)
    )


def latest_return_rates(f: KpiFilter) -> QuerySet[ListingReturnRate]:
    """The rows of the latest rated day up to the filter's day."""
    rows = return_rate_rows(f).filter(day__lte=f.day)
    return rows.filter(day=rows.order_by("-day").values("day")[:1])


def open_breaches(f: KpiFilter) -> QuerySet[ReturnRateBreach]:
    return ReturnRateBreach.objects.filter(
        f.q(category="listing__product__category_id", supplier="supplier_id", market=None),
        ended_at__isnull=True,
    )


# --- Figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthBar:
    month: date
    value: Decimal | int | None
    x: float
    y: float
    height: float
    tone: str
    title: str


@dataclass(frozen=True)
class MonthChart:
    bars: list[MonthBar]
    peak_label: str
    first: date
    last: date
    bar_width: float
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def _month_chart(
    months: list[date], values: dict[date, tuple[Decimal | int | None, str, str]], peak: Any
) -> MonthChart:
    slot = CHART_WIDTH / len(months)
    bars = []
    for n, month in enumerate(months):
        value, tone, title = values.get(month, (None, "empty", f"{month:%Y-%m}: —"))
        height = float(value) / float(peak) * CHART_HEIGHT if value and peak else 0.0
        if value is not None and tone != "empty":
            height = max(height, 1.0)
        bars.append(
            MonthBar(
                month,
                value,
                round(n * slot + 1, 2),
                round(CHART_HEIGHT - height, 2),
                round(height, 2),
                tone,
                title,
            )
        )
    return MonthChart(bars, str(peak), months[0], months[-1], round(max(slot - 2, 1), 2))


def pass_rate_by_month(f: KpiFilter) -> tuple[MonthChart, dict[str, Any]]:
    """Per month of issue, the share of verified tests that passed; and the window's total."""
    months = f.month_starts()
    rows = (
        verified_tests(f)
        .annotate(month=TruncMonth("issued_on"))
        .values("month")
        .annotate(n=Count("id"), passed=Count("id", filter=Q(result=TestRecord.Result.PASS)))
        .order_by()
    )
    values: dict[date, tuple[Decimal | int | None, str, str]] = {}
    total = passed = 0
    for row in rows:
        month = row["month"]
        total += row["n"]
        passed += row["passed"]
        rate = (Decimal(100) * row["passed"] / row["n"]).quantize(Decimal("0.1"))
        tone = "ok" if rate >= 95 else "warn" if rate >= 80 else "bad"
        values[month] = (rate, tone, f"{month:%Y-%m}: {rate}% ({row['passed']}/{row['n']})")
    rate = (Decimal(100) * passed / total).quantize(Decimal("0.1")) if total else None
    chart = _month_chart(months, values, 100)
    return chart, {"rate": rate, "passed": passed, "tests": total}


def incidents_by_month(f: KpiFilter) -> tuple[MonthChart, int]:
    months = f.month_starts()
    counts = {
        row["month"]: row["n"]
        for row in safety_incidents(f)
        .annotate(month=TruncMonth("issued_on"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    }
    peak = max(counts.values(), default=0) or 1
    values: dict[date, tuple[Decimal | int | None, str, str]] = {
        month: (n, "bad" if n else "empty", f"{month:%Y-%m}: {n}") for month, n in counts.items()
    }
    return _month_chart(months, values, peak), sum(counts.values())


def blocked_by_market(f: KpiFilter) -> tuple[list[Bar], int, int]:
    """Blocked live listings per market (bars), their total, and market holds in force."""
    counts = dict(blocked_listings(f).values_list("market").annotate(n=Count("id")).order_by())
    markets = [f.market] if f.market else [code for code, _label in Market.choices]
    labels = dict(Market.choices)
    bars = _bars([(f"{labels[m]} ({m})", counts.get(m, 0)) for m in markets])
    return bars, sum(counts.values()), holds_in_force(f).count()


def actions_by_age(f: KpiFilter) -> tuple[list[Bar], int, int]:
    """Open corrective actions by days since their audit; their total and those overdue."""
    today = f.day
    buckets = {}
    for low, high in ACTION_AGES:
        condition = Q(finding__audit__audited_on__lte=today - timedelta(days=low))
        if high is not None:
            condition &= Q(finding__audit__audited_on__gte=today - timedelta(days=high))
        buckets[f"a{low}"] = Count("id", filter=condition)
    figures = open_actions(f).aggregate(
        **buckets, overdue=Count("id", filter=Q(due_on__lt=today)), total=Count("id")
    )
    labels = [
        _("%(low)s to %(high)s days") % {"low": low, "high": high}
        if high is not None
        else _("over %(days)s days") % {"days": low - 1}
        for low, high in ACTION_AGES
    ]
    bars = _bars(
        [(label, figures[f"a{low}"]) for label, (low, _h) in zip(labels, ACTION_AGES, strict=True)]
    )
    return bars, figures["total"], figures["overdue"]


def _rate_tone(percent: Decimal) -> str:
    if percent > Decimal(settings.RETURN_RATE_PAUSE) * 100:
        return "bad"
    if percent > Decimal(settings.RETURN_RATE_LIMIT) * 100:
        return "warn"
    return "ok"


def return_rate_by_month(f: KpiFilter) -> tuple[MonthChart, dict[str, Any]]:
    """Per month, the 30-day return rate on its last rated day over the listings under the
    filter (returned units over sold units, summed); the latest day's figure, the listings over
    the limit on it (with enough units sold to judge) and the breaches open. Four queries."""
    months = f.month_starts()
    rows = return_rate_rows(f).filter(day__gte=months[0], day__lte=f.day)
    last_days = {
        row["last"]: row["month"]
        for row in rows.annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(last=Max("day"))
        .order_by()
    }
    values: dict[date, tuple[Decimal | int | None, str, str]] = {}
    latest: dict[str, Any] = {"rate": None, "sold": 0, "returned": 0, "day": None}
    for row in (
        rows.filter(day__in=list(last_days))
        .values("day")
        .annotate(sold=Sum("units_sold"), returned=Sum("units_returned"))
        .order_by("day")
    ):
        month = last_days[row["day"]]
        month_start = date(month.year, month.month, 1)
        sold, returned = row["sold"] or 0, row["returned"] or 0
        if not sold:
            continue
        percent = (Decimal(100) * returned / sold).quantize(Decimal("0.1"))
        values[month_start] = (
            percent,
            _rate_tone(percent),
            f"{row['day']:%Y-%m-%d}: {percent}% ({returned}/{sold})",
        )
        latest = {"rate": percent, "sold": sold, "returned": returned, "day": row["day"]}
    peak = max(
        [Decimal(v[0]) for v in values.values() if v[0] is not None]
        + [Decimal(settings.RETURN_RATE_PAUSE) * 100 * 2],
    )
    limit = Decimal(settings.RETURN_RATE_LIMIT)
    over = (
        latest_return_rates(f)
        .filter(units_sold__gte=settings.RETURN_RATE_MIN_UNITS)
        .filter(
            # Exactly, as the job judges (not on the rounded rate).
            units_returned__gt=ExpressionWrapper(
                F("units_sold") * limit, output_field=DecimalField(max_digits=20, decimal_places=6)
            )
        )
        .count()
    )
    breaches = open_breaches(f).aggregate(
        warnings=Count("id", filter=Q(level=ReturnRateBreach.Level.WARNING)),
        pauses=Count("id", filter=Q(level=ReturnRateBreach.Level.PAUSE)),
    )
    chart = _month_chart(months, values, peak.quantize(Decimal("0.1")))
    return chart, {**latest, "over": over, **breaches}


def kpi_figures(f: KpiFilter) -> dict[str, Any]:
    pass_chart, pass_totals = pass_rate_by_month(f)
    incident_chart, incidents = incidents_by_month(f)
    blocked_bars, blocked, holds = blocked_by_market(f)
    action_bars, actions, overdue = actions_by_age(f)
    return_chart, return_figures = return_rate_by_month(f)
    return {
        "pass_chart": pass_chart,
        "pass": pass_totals,
        "incident_chart": incident_chart,
        "incidents": incidents,
        "blocked_bars": blocked_bars,
        "blocked": blocked,
        "holds": holds,
        "action_bars": action_bars,
        "actions": actions,
        "overdue": overdue,
        "expiring": expiring_records(f).count(),
        "fraud_open": fraud_signals_open(f),
        "return_chart": return_chart,
        "returns": return_figures,
        "return_limit": Decimal(settings.RETURN_RATE_LIMIT) * 100,
        "return_pause": Decimal(settings.RETURN_RATE_PAUSE) * 100,
    }


def compliance_headline() -> dict[str, Any]:
    """The dashboard card's figures over everything (the KPI page filters and charts them):
    three aggregate queries."""
    f = KpiFilter(months=1)
    recent = Q(
        status=TestRecord.Status.VERIFIED,
        issued_on__gte=f.day - timedelta(days=30),
        issued_on__lte=f.day,
    )
    tests = TestRecord.objects.aggregate(
        n=Count("id", filter=recent),
        passed=Count("id", filter=recent & Q(result=TestRecord.Result.PASS)),
        failed_live=Count(
            "id",
            filter=recent & Q(_live_listing_of_record(), result=TestRecord.Result.FAIL),
        ),
        expiring=Count("id", filter=Q(pk__in=expiring_records(f).values("pk"))),
    )
    actions = open_actions(f).aggregate(
        total=Count("id"), overdue=Count("id", filter=Q(due_on__lt=f.day))
    )
    return {
        "pass_rate": (Decimal(100) * tests["passed"] / tests["n"]).quantize(Decimal("0.1"))
        if tests["n"]
        else None,
        "incidents": tests["failed_live"],
        "blocked": blocked_listings(f).count(),
        "actions": actions["total"],
        "overdue": actions["overdue"],
        "expiring": tests["expiring"],
    }


# --- CSV --------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _record_rows(rows: QuerySet[TestRecord]) -> Iterator[list[Any]]:
    yield [
        pgettext("KPI CSV", "record"),
        pgettext("KPI CSV", "issued"),
        pgettext("KPI CSV", "valid until"),
        pgettext("KPI CSV", "standard"),
        pgettext("KPI CSV", "market"),
        pgettext("KPI CSV", "result"),
        pgettext("KPI CSV", "status"),
        pgettext("KPI CSV", "lab"),
        pgettext("KPI CSV", "report number"),
        pgettext("KPI CSV", "product"),
        pgettext("KPI CSV", "product title"),
        pgettext("KPI CSV", "supplier"),
        pgettext("KPI CSV", "supplier name"),
    ]
    for row in (
        rows.order_by("-issued_on", "-id")
        .values_list(
            "pk",
            "issued_on",
            "valid_until",
            "standard__code",
            "standard__market",
            "result",
            "status",
            "lab__name",
            "report_number",
            "product_id",
            "product__title_en",
            "supplier_id",
            "supplier__name_en",
        )
        .iterator(chunk_size=1000)
    ):
        yield list(row)


def _blocked_rows(rows: QuerySet[ListingMarketStatus]) -> Iterator[list[Any]]:
    yield [
        pgettext("KPI CSV", "listing"),
        pgettext("KPI CSV", "market"),
        pgettext("KPI CSV", "reasons blocking the sale"),
        pgettext("KPI CSV", "answer changed"),
        pgettext("KPI CSV", "product title"),
        pgettext("KPI CSV", "supplier"),
        pgettext("KPI CSV", "supplier name"),
    ]
    for pk, market, reasons, changed, title, supplier_id, name in (
        rows.order_by("market", "listing_id")
        .values_list(
            "listing_id",
            "market",
            "reasons",
            "changed_at",
            "listing__product__title_en",
            "listing__supplier_id",
            "listing__supplier__name_en",
        )
        .iterator(chunk_size=1000)
    ):
        codes = " ".join(
            r.get("code", "") + (f"({r['standard']})" if r.get("standard") else "") for r in reasons
        )
        yield [
            pk,
            market,
            codes,
            timezone.localtime(changed).strftime("%Y-%m-%d %H:%M"),
            title,
            supplier_id,
            name,
        ]


def _hold_rows(rows: QuerySet[MarketHold]) -> Iterator[list[Any]]:
    yield [
        pgettext("KPI CSV", "listing"),
        pgettext("KPI CSV", "market"),
        pgettext("KPI CSV", "reason"),
        pgettext("KPI CSV", "from"),
        pgettext("KPI CSV", "supplier"),
        pgettext("KPI CSV", "note"),
    ]
    for row in rows.order_by("market", "listing_id").values_list(
        "listing_id", "market", "reason", "started_at", "listing__supplier_id", "note"
    ):
        yield [
            row[0],
            row[1],
            row[2],
            _local(row[3]),
            row[4],
            row[5],
        ]


def _action_rows(rows: QuerySet[CorrectiveAction]) -> Iterator[list[Any]]:
    yield [
        pgettext("KPI CSV", "corrective action"),
        pgettext("KPI CSV", "status"),
        pgettext("KPI CSV", "due"),
        pgettext("KPI CSV", "audit date"),
        pgettext("KPI CSV", "severity"),
        pgettext("KPI CSV", "area"),
        pgettext("KPI CSV", "supplier"),
        pgettext("KPI CSV", "supplier name"),
    ]
    yield from (
        list(row)
        for row in rows.order_by("due_on", "id").values_list(
            "pk",
            "status",
            "due_on",
            "finding__audit__audited_on",
            "finding__severity",
            "finding__area",
            "supplier_id",
            "supplier__name_en",
        )
    )


def _return_rate_rows(rows: QuerySet[ListingReturnRate]) -> Iterator[list[Any]]:
    yield [
        pgettext("KPI CSV", "day"),
        pgettext("KPI CSV", "listing"),
        pgettext("KPI CSV", "product title"),
        pgettext("KPI CSV", "supplier"),
        pgettext("KPI CSV", "supplier name"),
        pgettext("KPI CSV", "units sold"),
        pgettext("KPI CSV", "units returned (defect)"),
        pgettext("KPI CSV", "return rate"),
    ]
    for row in (
        rows.order_by("-rate", "listing_id")
        .values_list(
            "day",
            "listing_id",
            "listing__product__title_en",
            "listing__supplier_id",
            "listing__supplier__name_en",
            "units_sold",
            "units_returned",
            "rate",
        )
        .iterator(chunk_size=1000)
    ):
        yield list(row)


EXPORTS: dict[str, Callable[[KpiFilter], Iterator[list[Any]]]] = {
    "return_rates": lambda f: _return_rate_rows(latest_return_rates(f)),
    "tests": lambda f: _record_rows(verified_tests(f)),
    "incidents": lambda f: _record_rows(safety_incidents(f)),
    "expiring": lambda f: _record_rows(expiring_records(f)),
    "blocked": lambda f: _blocked_rows(blocked_listings(f)),
    "holds": lambda f: _hold_rows(holds_in_force(f)),
    "actions": lambda f: _action_rows(open_actions(f)),
}


def export_response(name: str, f: KpiFilter) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    rows = EXPORTS[name](f)

    def lines() -> Iterator[str]:
        first = True
        for row in rows:
            line = writer.writerow([_cell(value) for value in row])
            yield (BOM + line) if first else line
            first = False

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="compliance-{name}-{stamp}.csv"'
    return response


# --- The page ---------------------------------------------------------------------------------


def compliance_kpis_view(request: HttpRequest, site: Any) -> HttpResponse | StreamingHttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = KpiFilterForm(request.GET or None)
    f = filter_from(form)
    export = request.GET.get("export", "")
    if export:
        if export not in EXPORTS:
            return HttpResponse(status=404)
        return export_response(export, f)
    query = request.GET.copy()
    query.pop("export", None)
    context = {
        **site.each_context(request),
        "title": _("Compliance KPIs"),
        "form": form,
        "kpis": kpi_figures(f),
        "filter": f,
        "query": query.urlencode(),
        "exports": list(EXPORTS),
    }
    return TemplateResponse(request, "admin/compliance_kpis.html", context)
