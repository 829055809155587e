"""The live figures on the operator dashboard (the admin index)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiClient, ApiKey, User
from accounts.roles import ROLE_LABELS
from catalogue.models import Listing
from catalogue.selectors import price_rounds_awaiting_operator, tenders_closing_within
from logistics.models import InboundShipment, Inspection, OverstockOffer, StockPosition
from marketplace.formatting import money
from marketplace.models import JobRun, WebhookDelivery
from orders.models import JitOrder, JitOrderTally, Penalty
from orders.rules import rules
from restock.models import RestockProposal
from suppliers.models import LedgerEntry, Scorecard, Standing, Supplier, WithdrawalRequest

from .delivery import delivery_figures


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    percent: int


def _bars(pairs: list[tuple[str, int]]) -> list[Bar]:
    peak = max((value for _, value in pairs), default=0) or 1
    return [Bar(label, value, round(100 * value / peak)) for label, value in pairs]


def suppliers_by_status() -> list[Bar]:
    counts = dict(Supplier.objects.values_list("status").annotate(n=Count("id")).order_by())
    return _bars([(str(label), counts.get(value, 0)) for value, label in Supplier.Status.choices])


def users_by_role() -> list[Bar]:
    groups = list(
        Group.objects.annotate(n=Count("user", filter=Q(user__is_active=True)))
        .order_by("name")
        .values_list("name", "n")
    )
    others = User.objects.filter(is_active=True).aggregate(
        suppliers=Count("id", filter=Q(supplier_membership__isnull=False)),
        integrators=Count("id", filter=Q(api_client__isnull=False)),
        superusers=Count("id", filter=Q(is_superuser=True)),
    )
    return _bars(
        [(str(ROLE_LABELS.get(name, name.capitalize())), n) for name, n in groups]
        + [
            (_("Supplier users"), others["suppliers"]),
            (_("Integrator accounts"), others["integrators"]),
            (_("Superusers"), others["superusers"]),
        ]
    )


def api_client_figures() -> dict[str, Any]:
    since = timezone.now() - timedelta(days=1)
    clients = ApiClient.objects.aggregate(
        active=Count("id", filter=Q(is_active=True)),
        inactive=Count("id", filter=Q(is_active=False)),
    )
    keys = ApiKey.objects.aggregate(
        live=Count("id", filter=Q(revoked_at__isnull=True)),
        revoked=Count("id", filter=Q(revoked_at__isnull=False)),
        used_today=Count("id", filter=Q(last_used_at__gte=since)),
    )
    return {**clients, **{f"keys_{name}": n for name, n in keys.items()}}


def supplier_work_figures() -> dict[str, Any]:
    """What waits for someone, and the money held: a handful of aggregates, whatever the data."""
    suppliers = Supplier.objects.aggregate(
        jit_enrolled=Count("id", filter=Q(jit_status=Supplier.JitStatus.ENROLLED)),
        jit_paused=Count("id", filter=Q(jit_status=Supplier.JitStatus.PAUSED)),
        # An application the applicant is changing waits for the applicant, not for us.
        awaiting_review=Count(
            "id", filter=Q(status=Supplier.Status.APPLIED, changes_requested=False)
        ),
    )
    deposits = LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    withdrawals = WithdrawalRequest.objects.filter(
        status=WithdrawalRequest.Status.REQUESTED
    ).count()
    webhooks = WebhookDelivery.objects.aggregate(
        failed=Count("id", filter=Q(status=WebhookDelivery.Status.FAILED)),
        pending=Count("id", filter=Q(status=WebhookDelivery.Status.PENDING)),
    )
    return {
        **suppliers,
        "deposits_held": deposits,
        "withdrawals_pending": withdrawals,
        "webhooks_failed": webhooks["failed"],
        "webhooks_pending": webhooks["pending"],
    }


@dataclass(frozen=True)
class StatusBar(Bar):
    status: str


def listings_by_status() -> list[StatusBar]:
    counts = dict(Listing.objects.values_list("status").annotate(n=Count("id")).order_by())
    bars = _bars([(str(label), counts.get(value, 0)) for value, label in Listing.Status.choices])
    return [
        StatusBar(bar.label, bar.value, bar.percent, status)
        for bar, status in zip(bars, Listing.Status.values, strict=True)
    ]


def catalogue_work_figures() -> dict[str, int]:
    """What waits for an operator in the catalogue."""
    return {
        "rounds_waiting": price_rounds_awaiting_operator().count(),
        "tenders_closing": tenders_closing_within(hours=24).count(),
    }


# --- JIT orders: the last 30 days as inline SVG charts ----------------------------------------

CHART_DAYS = 30
# The charts' drawing area, in SVG user units (the SVG scales to its box).
CHART_WIDTH = 300
CHART_HEIGHT = 100
BAR_SLOT = CHART_WIDTH / CHART_DAYS
BAR_GAP = 2
DUE_SOON = timedelta(hours=2)
DUE_SOON_ROWS = 10
LATE_SUPPLIERS = 5


@dataclass(frozen=True)
class ChartBar:
    day: date
    value: Decimal | None  # None: nothing to measure that day
    x: float
    y: float
    height: float
    tone: str
    title: str


@dataclass(frozen=True)
class Chart:
    bars: list[ChartBar]
    line: str  # polyline points, "" when the chart has no line
    points: list[tuple[float, float, str]]
    peak_label: str
    first_day: date
    last_day: date
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    bar_width: float = BAR_SLOT - BAR_GAP


def _chart_days(today: date) -> list[date]:
    return [today - timedelta(days=CHART_DAYS - 1 - n) for n in range(CHART_DAYS)]


def _bar(
    n: int, day: date, value: Decimal | None, peak: Decimal, tone: str, title: str
) -> ChartBar:
    height = float(value / peak) * CHART_HEIGHT if value and peak else 0.0
    if value is not None and tone != "empty":
        height = max(height, 1.0)  # a day with a figure shows, even at 0 %
    return ChartBar(
        day=day,
        value=value,
        x=round(n * BAR_SLOT + BAR_GAP / 2, 2),
        y=round(CHART_HEIGHT - height, 2),
        height=round(height, 2),
        tone=tone,
        title=title,
    )


def _window() -> tuple[datetime, datetime, list[date]]:
    """Now, the start of the first of the last 30 days (in the admin's time zone), the days."""
    now = timezone.now()
    days = _chart_days(timezone.localdate(now))
    start = datetime.combine(days[0], time.min, tzinfo=timezone.get_current_timezone())
    return now, start, days


def _due_orders(start: datetime, until: datetime) -> Any:
    """Orders whose 24 h deadline fell between `start` and `until` (cancelled ones aside), with
    `deadline`, the deadline's `day` and `shipped_time` (first scan, else recorded)."""
    ship_within = rules().ship_within
    deadline = ExpressionWrapper(F("ordered_at") + ship_within, output_field=DateTimeField())
    return (
        JitOrder.objects.filter(
            ordered_at__gte=start - ship_within, ordered_at__lte=until - ship_within
        )
        .exclude(status=JitOrder.Status.CANCELLED)
        .annotate(
            deadline=deadline,
            day=TruncDate(deadline, tzinfo=timezone.get_current_timezone()),
            shipped_time=Coalesce("first_scan_at", "shipment_recorded_at"),
        )
    )


LATE = Q(shipped_time__isnull=True) | Q(shipped_time__gt=F("deadline"))


@dataclass
class DueCounts:
    """Orders due in the window and how many of them were late, per day of deadline and per
    supplier: {key: {"due": n, "late": n}}."""

    by_day: dict[date, dict[str, int]] = field(default_factory=dict)
    by_supplier: dict[int, dict[str, int]] = field(default_factory=dict)

    def add(self, table: str, key: Any, due: int, late: int) -> None:
        row = getattr(self, table).setdefault(key, {"due": 0, "late": 0})
        row["due"] += due
        row["late"] += late


def live_due_counts(start: datetime, until: datetime) -> DueCounts:
    """Counted from the orders themselves: one query, as many rows as the suppliers and days
    the deadlines between `start` and `until` touch."""
    counts = DueCounts()
    rows = (
        _due_orders(start, until)
        .values("supplier_id", "day")
        .annotate(due=Count("id"), late=Count("id", filter=LATE))
        .order_by()
    )
    for row in rows:
        counts.add("by_day", row["day"], row["due"], row["late"])
        counts.add("by_supplier", row["supplier_id"], row["due"], row["late"])
    return counts


def _tally_due_counts(start: datetime, until: datetime) -> DueCounts:
    """Summed from the tally's hours (orders.tally) from `start` up to, not including,
    `until`: two queries over a row per supplier and hour."""
    counts = DueCounts()
    hours = JitOrderTally.objects.filter(due_hour__gte=start, due_hour__lt=until).order_by()
    sums = {"due": Sum("orders"), "late": Sum("late")}
    zone = timezone.get_current_timezone()
    for row in hours.values(day=TruncDate("due_hour", tzinfo=zone)).annotate(**sums):
        counts.add("by_day", row["day"], row["due"], row["late"])
    for row in hours.values("supplier_id").annotate(**sums):
        counts.add("by_supplier", row["supplier_id"], row["due"], row["late"])
    return counts


def _hours_fall_within_days(days: list[date]) -> bool:
    """Whether every local day of the window starts on a whole UTC hour (true of UTC and of
    China time), so that each of the tally's hours belongs to one day."""
    zone = timezone.get_current_timezone()
    midnights = [datetime.combine(day, time.min, tzinfo=zone) for day in days]
    midnights.append(midnights[-1] + timedelta(days=1))
    return all(
        (midnight.utcoffset() or timedelta(0)) % timedelta(hours=1) == timedelta(0)
        for midnight in midnights
    )


def due_counts(now: datetime, start: datetime, days: list[date]) -> DueCounts:
    """The window's orders due and late: the hours that have passed from the tally, the hour
    under way counted live (its deadlines are due only up to now). In a time zone whose days
    start mid-hour, the tally's hours cannot be split into days: everything is counted live."""
    if not _hours_fall_within_days(days):
        return live_due_counts(start, now)
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    counts = _tally_due_counts(start, hour)
    current = live_due_counts(hour, now)
    for table in ("by_day", "by_supplier"):
        for key, row in getattr(current, table).items():
            counts.add(table, key, row["due"], row["late"])
    return counts


def late_suppliers(counts: DueCounts) -> list[dict[str, Any]]:
    """The suppliers with the most orders late in the window (ties by name)."""
    late = sorted(
        ((row["late"], supplier_id) for supplier_id, row in counts.by_supplier.items()),
        reverse=True,
    )
    late = [(n, supplier_id) for n, supplier_id in late if n > 0]
    if not late:
        return []
    # Names for the suppliers that can make the list, ties at its end included: summing the
    # tally joined to the suppliers would sort every hour's row by supplier first.
    least = late[min(LATE_SUPPLIERS, len(late)) - 1][0]
    names = {
        pk: (name_en, name_zh)
        for pk, name_en, name_zh in Supplier.objects.filter(
            pk__in=[supplier_id for n, supplier_id in late if n >= least]
        ).values_list("pk", "name_en", "name_zh")
    }
    rows: list[dict[str, Any]] = [
        {
            "supplier_id": supplier_id,
            "supplier__name_en": names[supplier_id][0],
            "supplier__name_zh": names[supplier_id][1],
            "due": counts.by_supplier[supplier_id]["due"],
            "late": n,
        }
        for n, supplier_id in late
        if n >= least
    ]
    rows.sort(key=lambda row: (-row["late"], row["supplier__name_en"]))
    return rows[:LATE_SUPPLIERS]


def on_time_chart(counts: DueCounts, days: list[date]) -> Chart:
    """Per day, the share of the orders due that day that were shipped by their deadline (an
    order unshipped at its deadline, or declared out of stock, was not)."""
    bars = []
    for n, day in enumerate(days):
        row = counts.by_day.get(day)
        if not row or not row["due"]:
            bars.append(_bar(n, day, None, Decimal(100), "empty", f"{day:%m-%d}: " + _("none due")))
            continue
        on_time = row["due"] - row["late"]
        rate = (Decimal(100) * on_time / row["due"]).quantize(Decimal("0.1"))
        tone = "ok" if rate >= 95 else "warn" if rate >= 80 else "bad"
        title = f"{day:%m-%d}: {rate}% ({on_time}/{row['due']})"
        bars.append(_bar(n, day, rate, Decimal(100), tone, title))
    return Chart(bars, "", [], "100%", days[0], days[-1])


def penalties_chart(start: datetime, days: list[date]) -> Chart:
    """Per day, the penalties assessed: CNY as bars, their number as a line."""
    rows = {
        row["day"]: row
        for row in Penalty.objects.filter(assessed_at__gte=start)
        .annotate(day=TruncDate("assessed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    }
    amounts = [rows[day]["amount"] if day in rows else Decimal(0) for day in days]
    numbers = [rows[day]["n"] if day in rows else 0 for day in days]
    peak = max(amounts) or Decimal(1)
    peak_n = max(numbers) or 1
    bars, points = [], []
    for n, day in enumerate(days):
        title = f"{day:%m-%d}: " + _("%(n)d penalties, %(amount)s") % {
            "n": numbers[n],
            "amount": money(amounts[n]),
        }
        bars.append(_bar(n, day, amounts[n], peak, "bad" if amounts[n] else "empty", title))
        x = round(n * BAR_SLOT + BAR_SLOT / 2, 2)
        y = round(CHART_HEIGHT - numbers[n] / peak_n * CHART_HEIGHT, 2)
        points.append((x, y, title))
    line = " ".join(f"{x},{y}" for x, y, _title in points)
    return Chart(bars, line, points, f"{money(peak)} · {peak_n}", days[0], days[-1])


def jit_figures() -> dict[str, Any]:
    """The JIT charts and lists: a fixed handful of queries over indexes and the maintained
    tally, whatever the number of orders."""
    now, start, days = _window()
    ship_within = rules().ship_within
    due_soon = JitOrder.objects.filter(
        status=JitOrder.Status.AWAITING_SHIPMENT,
        ordered_at__gt=now - ship_within,
        ordered_at__lte=now - ship_within + DUE_SOON,
    )
    soonest = [
        (order, order.ordered_at + ship_within)
        for order in due_soon.select_related("supplier").order_by("ordered_at", "id")[
            :DUE_SOON_ROWS
        ]
    ]
    counts = due_counts(now, start, days)
    return {
        "on_time": on_time_chart(counts, days),
        "penalties": penalties_chart(start, days),
        "due_soon_count": due_soon.count(),
        "due_soon": soonest,
        "late_suppliers": late_suppliers(counts),
    }


def logistics_figures() -> dict[str, Any]:
    """Inbound and consignment stock: four aggregates, whatever the number of rows."""
    shipment = InboundShipment.Status
    shipments = InboundShipment.objects.aggregate(
        in_transit=Count("id", filter=Q(status=shipment.IN_TRANSIT)),
        arrived=Count("id", filter=Q(status=shipment.ARRIVED)),
        receiving=Count("id", filter=Q(status=shipment.RECEIVING)),
    )
    rejected = Inspection.objects.filter(
        result=Inspection.Result.REJECTED, inspected_at__gte=timezone.now() - timedelta(days=30)
    ).count()
    on_hand = StockPosition.objects.aggregate(n=Sum("on_hand"))["n"] or 0
    overstock = OverstockOffer.objects.filter(
        status__in=[OverstockOffer.Status.OFFERED, OverstockOffer.Status.LEFT_FOR_MARKDOWN]
    ).count()
    return {
        **shipments,
        "rejected_30d": rejected,
        "units_on_hand": on_hand,
        "overstock_open": overstock,
    }


def restock_figures() -> dict[str, Any]:
    """Restock proposals waiting for suppliers, the latest planning run, dead stock, and the
    suppliers by standing on the latest day scored: five queries, whatever the number of rows."""
    now = timezone.now()
    proposals = RestockProposal.objects.filter(status=RestockProposal.Status.OPEN).aggregate(
        open=Count("id"),
        urgent=Count("id", filter=Q(urgent=True)),
        expiring=Count("id", filter=Q(expires_at__lte=now + timedelta(days=1))),
    )
    last_run = JobRun.objects.filter(name="restock_plan").order_by("-started_at").first()
    dead = Listing.objects.filter(dead_stock_since__isnull=False).count()
    latest_day = Scorecard.objects.order_by("-day").values_list("day", flat=True)[:1]
    counts = dict(
        Scorecard.objects.filter(day__in=latest_day)
        .values_list("standing")
        .annotate(n=Count("id"))
        .order_by()
    )
    order = [Standing.EXCELLENT, Standing.GOOD, Standing.POOR, Standing.VERY_POOR, Standing.NEW]
    standings = _bars([(str(s.label), counts.get(s.value, 0)) for s in order])
    return {**proposals, "last_run": last_run, "dead_stock": dead, "standings": standings}


def dashboard_figures() -> dict[str, Any]:
    return {
        "suppliers_by_status": suppliers_by_status(),
        "users_by_role": users_by_role(),
        "api": api_client_figures(),
        "work": supplier_work_figures(),
        "listings_by_status": listings_by_status(),
        "catalogue": catalogue_work_figures(),
        "recent_jobs": list(JobRun.objects.all()[:5]),
        "jit": jit_figures(),
        "logistics": logistics_figures(),
        "parcels": delivery_figures(),
        "restock": restock_figures(),
    }
