"""The suppliers' scorecards (SPEC, "Scorecard"): the nightly job and its on-demand runs.

`compute_scorecards(day=...)` writes one `suppliers.Scorecard` a supplier for `day` (China's
date) over the rolling SCORECARD_WINDOW_DAYS China days ending with it: from China's midnight
starting `day - (window - 1)` to the midnight ending `day` (and no later than now). Set-based: a
query a source, each grouped by supplier, the scores worked out in Python
(scorecards.selectors.scoring) and one upsert on (supplier, day), so a second run the same day
rewrites the day's rows. What each component counts:

- on_time: JIT orders whose shipping deadline (ordered + JIT_PENALTY_RULES' 24 h) falls in the
  window, cancelled ones aside: on time when shipped (carrier's first scan, else the recorded
  shipment) by the deadline; late when shipped after it or not shipped by it; an order not yet
  due and not yet shipped does not count. Plus stocking orders: shipped in the window (the
  moment of their `stocking.shipped` event: always before expiry, the machine lapses them
  then) count on time, lapsed in the window (expiry, unshipped) count late; declined and
  cancelled ones do not count.
- quality: lots received at a warehouse and inspected in the window (original inspections,
  not resubmitted lots: `logistics.selectors.lot_record`'s count), and those rejected. The
  columns are named "units"; they hold lots, the warehouse's unit of judgement.
- returns: units of consumer orders fulfilled in the window and units of return lines whose
  reason counts toward the return rate (defective, not as described) on returns requested in
  the window, neither cancelled nor declined: the return-rate job's figures
  (returns.services.return_rate), per supplier and China days.
- return_defects: returned units received and inspected at a return centre in the window, and
  those found defective.
- lab_pass: verified lab test records issued in the window with a result (pass or fail;
  inconclusive ones aside), and those passed.
- corrective: corrective actions open now (an action the supplier submitted waits for the
  officer: not counted), scored for a supplier with a factory audit on or before `day`.

The standing compared with the one the supplier was last given (this day's earlier run, else
its latest earlier scorecard, else "new") records `scorecard.standing_changed` for each
supplier whose standing moved: in the portal's notifications and to webhooks.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from compliance.models import Audit, CorrectiveAction, TestRecord
from logistics.models import Inspection, StockingOrder
from marketplace.events import NewEvent, record_events_set
from marketplace.formatting import suppliers_today
from marketplace.jobs import JobProgress
from marketplace.models import Event
from orders.models import ConsumerOrder, JitOrder
from orders.rules import rules
from returns.models import ReturnLine, ReturnRequest
from suppliers.models import Scorecard, Standing, Supplier
from suppliers.standing import standing_for

from ..selectors.scoring import COMPONENTS, counts_of, overall, scores

RATE_PLACES = Decimal("0.0001")
RATE_MAX = Decimal("999.9999")
COUNT_FIELDS = [
    "on_time_due",
    "on_time_ok",
    "inspected_lots",
    "rejected_lots",
    "units_sold",
    "units_returned",
    "returns_inspected",
    "returns_defective",
    "lab_tests",
    "lab_passed",
    "open_corrective_actions",
]
UPDATE_FIELDS = [
    "computed_at",
    "score",
    "score_high",
    "standing",
    "on_time_rate",
    "return_rate",
    *COUNT_FIELDS,
    "audited",
    *(c.score_field for c in COMPONENTS),
]
# Suppliers that trade (a scorecard for each, "new" while nothing is scored).
SCORED_STATUSES = (Supplier.Status.ACTIVE, Supplier.Status.SUSPENDED)
CHUNK = 1000


@dataclass
class ComputeRun:
    day: date
    start: datetime
    end: datetime
    suppliers: int = 0
    scored: int = 0
    changed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.suppliers} scorecards for {self.day:%Y-%m-%d} ({self.scored} scored, "
            f"{self.suppliers - self.scored} new), {self.changed} standings changed"
        )


def china_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(settings.PORTAL_TIME_ZONE))


def window_of(day: date) -> tuple[datetime, datetime]:
    """[start, end): SCORECARD_WINDOW_DAYS China days ending with `day`."""
    start = china_midnight(day - timedelta(days=settings.SCORECARD_WINDOW_DAYS - 1))
    return start, china_midnight(day + timedelta(days=1))


def _rate(hits: int, n: int) -> Decimal | None:
    if not n:
        return None
    return min((Decimal(hits) / Decimal(n)).quantize(RATE_PLACES, ROUND_HALF_UP), RATE_MAX)


def _grouped(
    queryset: QuerySet[Any], by: str, supplier_ids: list[int] | None, **sums: Any
) -> Iterable[dict[str, Any]]:
    if supplier_ids is not None:
        queryset = queryset.filter(**{f"{by}__in": supplier_ids})
    return queryset.order_by().values(by).annotate(**sums)


def gather_counts(
    day: date, start: datetime, end: datetime, now: datetime, supplier_ids: list[int] | None
) -> dict[int, dict[str, int]]:
    """Every component's counts per supplier with any (one query a source)."""
    found: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    cutoff = min(end, now)
    ship_within = rules().ship_within

    # JIT orders due in the window: decided when shipped, or when the deadline has passed.
    jit = (
        JitOrder.objects.exclude(status=JitOrder.Status.CANCELLED)
        .filter(ordered_at__gte=start - ship_within, ordered_at__lt=end - ship_within)
        .annotate(shipped=Coalesce("first_scan_at", "shipment_recorded_at"))
        .filter(Q(ordered_at__lte=cutoff - ship_within) | Q(shipped__isnull=False))
    )
    for row in _grouped(
        jit,
        "supplier_id",
        supplier_ids,
        due=Count("pk"),
        ok=Count("pk", filter=Q(shipped__lte=F("ordered_at") + ship_within)),
    ):
        counts = found[row["supplier_id"]]
        counts["on_time_due"] += row["due"]
        counts["on_time_ok"] += row["ok"]

    # Stocking orders shipped in the window (their event's moment) or lapsed in it.
    shipped = Event.objects.filter(
        kind="stocking.shipped", occurred_at__gte=start, occurred_at__lt=cutoff
    )
    for row in _grouped(shipped, "supplier_id", supplier_ids, n=Count("pk")):
        if row["supplier_id"] is not None:
            counts = found[row["supplier_id"]]
            counts["on_time_due"] += row["n"]
            counts["on_time_ok"] += row["n"]
    lapsed = StockingOrder.objects.filter(
        status=StockingOrder.Status.LAPSED, expires_at__gte=start, expires_at__lt=cutoff
    )
    for row in _grouped(lapsed, "supplier_id", supplier_ids, n=Count("pk")):
        found[row["supplier_id"]]["on_time_due"] += row["n"]

    # Lots inspected at a warehouse (original inspections).
    inspected = Inspection.objects.filter(
        inspected_at__gte=start, inspected_at__lt=cutoff, resubmitted=False, lot_size__gt=0
    )
    for row in _grouped(
        inspected,
        "supplier_id",
        supplier_ids,
        n=Count("pk"),
        bad=Count("pk", filter=Q(result=Inspection.Result.REJECTED)),
    ):
        counts = found[row["supplier_id"]]
        counts["inspected_lots"] = row["n"]
        counts["rejected_lots"] = row["bad"]

    # Units sold, and units returned for a reason that counts.
    sold = ConsumerOrder.objects.filter(
        status=ConsumerOrder.Status.FULFILLED, fulfilled_at__gte=start, fulfilled_at__lt=cutoff
    )
    for row in _grouped(sold, "supplier_id", supplier_ids, n=Sum("quantity")):
        found[row["supplier_id"]]["units_sold"] = int(row["n"] or 0)
    returned = ReturnLine.objects.filter(
        reason__counts_as_defect=True,
        request__requested_at__gte=start,
        request__requested_at__lt=cutoff,
    ).exclude(request__status__in=(ReturnRequest.Status.CANCELLED, ReturnRequest.Status.DECLINED))
    for row in _grouped(returned, "request__supplier_id", supplier_ids, n=Sum("quantity")):
        found[row["request__supplier_id"]]["units_returned"] = int(row["n"] or 0)

    # Returned units inspected at a return centre.
    inspected_returns = ReturnLine.objects.filter(
        inspected_at__gte=start, inspected_at__lt=cutoff, received__gt=0
    )
    for row in _grouped(
        inspected_returns,
        "request__supplier_id",
        supplier_ids,
        n=Sum("received"),
        bad=Sum("defective"),
    ):
        counts = found[row["request__supplier_id"]]
        counts["returns_inspected"] = int(row["n"] or 0)
        counts["returns_defective"] = int(row["bad"] or 0)

    # Lab tests with a result, issued in the window's days.
    first_day = day - timedelta(days=settings.SCORECARD_WINDOW_DAYS - 1)
    tests = TestRecord.objects.filter(
        status=TestRecord.Status.VERIFIED,
        result__in=(TestRecord.Result.PASS, TestRecord.Result.FAIL),
        issued_on__gte=first_day,
        issued_on__lte=day,
    )
    for row in _grouped(
        tests,
        "supplier_id",
        supplier_ids,
        n=Count("pk"),
        ok=Count("pk", filter=Q(result=TestRecord.Result.PASS)),
    ):
        counts = found[row["supplier_id"]]
        counts["lab_tests"] = row["n"]
        counts["lab_passed"] = row["ok"]

    # Open corrective actions, for audited suppliers (the audit read with the supplier list).
    actions = CorrectiveAction.objects.filter(status=CorrectiveAction.Status.OPEN)
    for row in _grouped(actions, "supplier_id", supplier_ids, n=Count("pk")):
        found[row["supplier_id"]]["open_corrective_actions"] = row["n"]
    return found


def _suppliers(day: date, supplier_ids: list[int] | None) -> list[tuple[int, str | None, bool]]:
    """(id, the standing it was last given, audited) of each supplier to score: one query."""
    suppliers = (
        Supplier.objects.filter(pk__in=supplier_ids)
        if supplier_ids is not None
        else Supplier.objects.filter(status__in=SCORED_STATUSES)
    )
    cards = Scorecard.objects.filter(supplier=OuterRef("pk"))
    audits = Audit.objects.filter(supplier=OuterRef("pk"), audited_on__lte=day)
    return list(
        suppliers.order_by("pk")
        .annotate(
            today=Subquery(cards.filter(day=day).values("standing")[:1]),
            before=Subquery(cards.filter(day__lt=day).order_by("-day").values("standing")[:1]),
            was_audited=Exists(audits),
        )
        .values_list("pk", Coalesce("today", "before"), "was_audited")
    )


def scorecard_row(supplier_id: int, day: date, counts: dict[str, int], audited: bool) -> Scorecard:
    """The day's scorecard of one supplier from its counts (not saved)."""
    card = Scorecard(supplier_id=supplier_id, day=day, audited=audited, **counts)
    pairs = {}
    for component in COMPONENTS:
        n, hits = counts_of(component, card)
        pair = scores(component, n, hits)
        pairs[component.name] = pair
        setattr(card, component.score_field, None if pair is None else pair[0])
    card.score, card.score_high = overall(pairs)
    card.standing = standing_for(card.score, card.score_high)
    card.on_time_rate = _rate(card.on_time_ok, card.on_time_due)
    card.return_rate = _rate(card.units_returned, card.units_sold)
    return card


def compute_scorecards(
    *,
    day: date | None = None,
    supplier_ids: list[int] | None = None,
    job: JobProgress | None = None,
    now: datetime | None = None,
    events: bool = True,
) -> ComputeRun:
    """Each supplier's scorecard for `day` (default: China's today); `supplier_ids` limits it to
    those suppliers (whatever their status). `events=False` (a backfill of past days) records no
    standing change."""
    now = now or timezone.now()
    day = day or suppliers_today(now)
    start, end = window_of(day)
    run = ComputeRun(day=day, start=start, end=end)
    suppliers = _suppliers(day, supplier_ids)
    run.suppliers = len(suppliers)
    if job is not None:
        job.set_total(len(suppliers))
    found = gather_counts(day, start, end, now, supplier_ids)
    empty = dict.fromkeys(COUNT_FIELDS, 0)
    cards: list[Scorecard] = []
    changes: list[NewEvent] = []
    for i, (supplier_id, last_told, audited) in enumerate(suppliers, 1):
        card = scorecard_row(supplier_id, day, found.get(supplier_id, empty), audited)
        card.computed_at = now
        cards.append(card)
        if card.score is not None:
            run.scored += 1
        before = last_told or Standing.NEW.value
        if card.standing != before:
            changes.append(
                NewEvent(
                    "scorecard.standing_changed",
                    supplier_id=supplier_id,
                    payload={
                        "from": before,
                        "to": card.standing,
                        "score": None if card.score is None else str(card.score),
                        "day": day.isoformat(),
                    },
                )
            )
        if job is not None and i % CHUNK == 0:
            job.advance(CHUNK)
    with transaction.atomic():
        Scorecard.objects.bulk_create(
            cards,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["supplier", "day"],
            update_fields=UPDATE_FIELDS,
        )
        if events:
            run.changed = record_events_set(changes)
    if job is not None:
        job.advance(len(suppliers) % CHUNK)
    return run
