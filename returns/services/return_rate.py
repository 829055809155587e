"""Return-rate feedback (SPEC, "Listings"): the daily job and the appeals of its fines.

`return_rates_compute` (the daily job, returns.tasks.return_rates_task) works over the rolling
RETURN_RATE_WINDOW_DAYS (30) days up to `now`:

- For every listing with sales or counted returns in the window (and every listing with an open
  breach, so the breach can end), one `catalogue.ListingReturnRate` row for the day: the units of
  its consumer orders fulfilled in the window, and the units of its return lines whose reason
  counts toward the rate (defective, not as described) on returns requested in the window and
  not cancelled or declined. On PostgreSQL this is one INSERT … SELECT … ON CONFLICT (listing,
  day) DO UPDATE; elsewhere (SQLite, the development database) the same figures through the ORM
  and one upsert per chunk. A second run the same day rewrites the day's row.
- With at least RETURN_RATE_MIN_UNITS sold, a rate over RETURN_RATE_LIMIT (8%) opens a `warning`
  breach (event `return_rate.warning`: the supplier is told in the portal); over
  RETURN_RATE_PAUSE (15%) also a `pause` breach (event `return_rate.paused`): the listing is
  taken off sale for review (`catalogue.services.listings.listing_pause_for_review`: only an
  operator resumes it) and the supplier is fined the supply value (the order's frozen supply
  price) of the counted units returned in the window (a `fine` ledger entry referencing the
  breach). Each once per breach: at most one open breach per listing and level is a unique
  constraint, and each listing is locked while its breaches are opened, so a re-run, or two runs
  at once, open it once.
- An open breach ends (`ended_at`) when the day's figure is no longer over its threshold (or
  too few units were sold to judge it); a later breach may then open.

The supplier may appeal a pause breach's fine within RETURN_RATE_APPEAL_DAYS
(`breach_appeal`); an operator upholds the appeal (the fine is reversed) or dismisses it. The
appeal never puts the listing back on sale: resuming it stays an operator's decision.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from catalogue.models import Listing, ListingReturnRate
from catalogue.services.listings import listing_pause_for_review
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.jobs import JobProgress
from marketplace.states import transition
from orders.models import ConsumerOrder
from suppliers.selectors import supplier_id_for
from suppliers.services.ledger import ledger_fine, ledger_reverse_fine

from ..models import BREACH_APPEAL_MACHINE, ReturnLine, ReturnRateBreach, ReturnRequest

if TYPE_CHECKING:
    from accounts.models import User

Level = ReturnRateBreach.Level
Appeal = ReturnRateBreach.Appeal

# The ORM path writes the day's rows in chunks of this many.
UPSERT_CHUNK = 2000
RATE_PLACES = Decimal("0.0001")
# ListingReturnRate.rate holds up to 999.9999 (more returns than sales in a window is possible:
# the returned units may have been sold before it).
RATE_MAX = Decimal("999.9999")
NOT_COUNTED = (ReturnRequest.Status.CANCELLED, ReturnRequest.Status.DECLINED)


@dataclass
class RateRun:
    day: date
    window_start: datetime
    window_end: datetime
    rows: int = 0
    warnings: int = 0
    pauses: int = 0
    paused_listings: int = 0
    ended: int = 0
    fined: Decimal = Decimal("0.00")
    breaches: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.rows} listings rated for {self.day}, {self.warnings} warnings, "
            f"{self.pauses} pauses ({self.paused_listings} listings paused, {self.fined} CNY "
            f"fined), {self.ended} breaches ended"
        )


def set_based() -> bool:
    """Whether the day's rows are one statement (PostgreSQL) rather than the ORM's steps. The
    tests run both on PostgreSQL and compare them."""
    return connection.vendor == "postgresql"


def rate_of(units_sold: int, units_returned: int) -> Decimal | None:
    if not units_sold:
        return None
    return min(
        (Decimal(units_returned) / Decimal(units_sold)).quantize(RATE_PLACES, ROUND_HALF_UP),
        RATE_MAX,
    )


def window_of(now: datetime) -> tuple[datetime, datetime]:
    """The rolling window ending at `now`: (start, end], RETURN_RATE_WINDOW_DAYS long."""
    return now - timedelta(days=settings.RETURN_RATE_WINDOW_DAYS), now


def sold_in(start: datetime, end: datetime) -> Q:
    return Q(status=ConsumerOrder.Status.FULFILLED, fulfilled_at__gt=start, fulfilled_at__lte=end)


def counted_lines(start: datetime, end: datetime) -> Q:
    """Return lines that make the rate: a reason counting as a defect, on a return requested in
    the window and neither cancelled nor declined."""
    return Q(
        reason__counts_as_defect=True,
        request__requested_at__gt=start,
        request__requested_at__lte=end,
    ) & ~Q(request__status__in=NOT_COUNTED)


# --- The day's rows ------------------------------------------------------------------------


def _write_rows_sql(day: date, start: datetime, end: datetime) -> int:
    rates = ListingReturnRate._meta.db_table
    orders = ConsumerOrder._meta.db_table
    lines = ReturnLine._meta.db_table
    requests = ReturnRequest._meta.db_table
    reasons = ReturnLine._meta.get_field("reason").related_model._meta.db_table  # type: ignore[union-attr]
    breaches = ReturnRateBreach._meta.db_table
    # Table names are ours; every value is a parameter. Ordered by listing so two runs at once
    # take the rows' locks in the same order.
    sql = f"""
        WITH sold AS (
            SELECT listing_id, SUM(quantity) AS n FROM {orders}
            WHERE status = %(fulfilled)s AND fulfilled_at > %(start)s AND fulfilled_at <= %(end)s
            GROUP BY listing_id
        ), returned AS (
            SELECT r.listing_id, SUM(l.quantity) AS n
            FROM {lines} l
            JOIN {requests} r ON r.id = l.request_id
            JOIN {reasons} why ON why.id = l.reason_id
            WHERE why.counts_as_defect AND r.requested_at > %(start)s
                AND r.requested_at <= %(end)s AND r.status NOT IN %(not_counted)s
            GROUP BY r.listing_id
        ), rated AS (
            SELECT listing_id FROM sold
            UNION SELECT listing_id FROM returned
            UNION SELECT listing_id FROM {breaches} WHERE ended_at IS NULL
            UNION SELECT listing_id FROM {rates} WHERE day = %(day)s
        )
        INSERT INTO {rates} (listing_id, day, units_sold, units_returned, rate)
        SELECT rated.listing_id, %(day)s, COALESCE(sold.n, 0), COALESCE(returned.n, 0),
            CASE WHEN COALESCE(sold.n, 0) = 0 THEN NULL
                ELSE LEAST(ROUND(COALESCE(returned.n, 0)::numeric / sold.n, 4), %(max)s) END
        FROM rated
        LEFT JOIN sold ON sold.listing_id = rated.listing_id
        LEFT JOIN returned ON returned.listing_id = rated.listing_id
        ORDER BY rated.listing_id
        ON CONFLICT (listing_id, day) DO UPDATE SET
            units_sold = EXCLUDED.units_sold,
            units_returned = EXCLUDED.units_returned,
            rate = EXCLUDED.rate
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "fulfilled": ConsumerOrder.Status.FULFILLED.value,
                "start": start,
                "end": end,
                "not_counted": tuple(str(s) for s in NOT_COUNTED),
                "day": day,
                "max": RATE_MAX,
            },
        )
        return int(cursor.rowcount)


def _write_rows_orm(day: date, start: datetime, end: datetime) -> int:
    sold: dict[int, int] = defaultdict(int)
    returned: dict[int, int] = defaultdict(int)
    for listing_id, n in (
        ConsumerOrder.objects.filter(sold_in(start, end))
        .order_by()
        .values_list("listing_id")
        .annotate(n=Sum("quantity"))
    ):
        sold[listing_id] = int(n)
    for listing_id, n in (
        ReturnLine.objects.filter(counted_lines(start, end))
        .order_by()
        .values_list("request__listing_id")
        .annotate(n=Sum("quantity"))
    ):
        returned[listing_id] = int(n)
    ids = set(sold) | set(returned)
    ids |= set(
        ReturnRateBreach.objects.filter(ended_at__isnull=True).values_list("listing_id", flat=True)
    )
    ids |= set(ListingReturnRate.objects.filter(day=day).values_list("listing_id", flat=True))
    rows = [
        ListingReturnRate(
            listing_id=pk,
            day=day,
            units_sold=sold[pk],
            units_returned=returned[pk],
            rate=rate_of(sold[pk], returned[pk]),
        )
        for pk in sorted(ids)
    ]
    for begin in range(0, len(rows), UPSERT_CHUNK):
        ListingReturnRate.objects.bulk_create(
            rows[begin : begin + UPSERT_CHUNK],
            update_conflicts=True,
            unique_fields=["listing", "day"],
            update_fields=["units_sold", "units_returned", "rate"],
        )
    return len(rows)


def return_rate_rows_write(
    day: date, start: datetime, end: datetime, *, sql: bool | None = None
) -> int:
    """Write the day's ListingReturnRate rows for the window (start, end]; the number written."""
    with transaction.atomic():
        if set_based() if sql is None else sql:
            return _write_rows_sql(day, start, end)
        return _write_rows_orm(day, start, end)


# --- Breaches --------------------------------------------------------------------------------


def _over(threshold: Decimal) -> Q:
    """The day's rows over a threshold, over enough units: returned / sold > threshold, compared
    exactly (not on the rounded rate)."""
    return Q(units_sold__gte=settings.RETURN_RATE_MIN_UNITS) & Q(
        units_returned__gt=ExpressionWrapper(
            F("units_sold") * threshold, output_field=DecimalField(max_digits=20, decimal_places=6)
        )
    )


THRESHOLDS = {Level.WARNING: "RETURN_RATE_LIMIT", Level.PAUSE: "RETURN_RATE_PAUSE"}


def threshold_of(level: str) -> Decimal:
    return Decimal(getattr(settings, THRESHOLDS[Level(level)]))


def _end_breaches(day: date, now: datetime) -> int:
    ended = 0
    for level in Level:
        still_over = ListingReturnRate.objects.filter(
            _over(threshold_of(level)), listing_id=OuterRef("listing_id"), day=day
        )
        ended += (
            ReturnRateBreach.objects.filter(ended_at__isnull=True, level=level)
            .exclude(Exists(still_over))
            .update(ended_at=now)
        )
    return ended


@dataclass(frozen=True)
class _Candidate:
    listing_id: int
    units_sold: int
    units_returned: int
    rate: Decimal
    levels: tuple[str, ...]


def _candidates(day: date) -> list[_Candidate]:
    warning, pause = threshold_of(Level.WARNING), threshold_of(Level.PAUSE)
    open_levels: dict[int, set[str]] = defaultdict(set)
    rows = list(
        ListingReturnRate.objects.filter(_over(min(warning, pause)), day=day)
        .order_by("listing_id")
        .values_list("listing_id", "units_sold", "units_returned")
    )
    for listing_id, level in ReturnRateBreach.objects.filter(
        ended_at__isnull=True, listing_id__in=[row[0] for row in rows]
    ).values_list("listing_id", "level"):
        open_levels[listing_id].add(level)
    found = []
    for listing_id, sold, returned in rows:
        levels = tuple(
            level
            for level, threshold in ((Level.WARNING, warning), (Level.PAUSE, pause))
            if Decimal(returned) > threshold * sold and level not in open_levels[listing_id]
        )
        if levels:
            rate = rate_of(sold, returned)
            assert rate is not None
            found.append(_Candidate(listing_id, sold, returned, rate, levels))
    return found


def _fine_amount(listing_id: int, start: datetime, end: datetime) -> Decimal:
    """The supply value of the counted units returned in the window: each line's units at the
    supply price frozen on its consumer order."""
    total = Decimal("0")
    for quantity, price in ReturnLine.objects.filter(
        counted_lines(start, end), request__listing_id=listing_id
    ).values_list("quantity", "request__order__unit_supply_price"):
        total += quantity * price
    return total.quantize(Decimal("0.01"))


def _percent(rate: Decimal) -> str:
    return f"{rate * 100:.1f}%"


def _open_breaches(candidate: _Candidate, run: RateRun, *, actor: User | None) -> None:
    """Open the candidate's missing breaches, with their consequences, in one transaction with
    the listing locked: a run at the same moment waits here and then finds them open."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().filter(pk=candidate.listing_id).first()
        if listing is None:
            return
        already = set(
            ReturnRateBreach.objects.filter(
                listing_id=listing.pk, ended_at__isnull=True
            ).values_list("level", flat=True)
        )
        for level in candidate.levels:
            if level in already:
                continue
            try:
                with transaction.atomic():
                    breach = ReturnRateBreach.objects.create(
                        listing=listing,
                        supplier_id=listing.supplier_id,
                        level=level,
                        window_start=run.window_start,
                        window_end=run.window_end,
                        units_sold=candidate.units_sold,
                        units_returned=candidate.units_returned,
                        rate=candidate.rate,
                        detected_at=run.window_end,
                    )
            except IntegrityError:
                # Only reachable if the listing's lock were bypassed: the other run's stands.
                continue
            run.breaches.append(breach.pk)
            if level == Level.WARNING:
                run.warnings += 1
                record_event(
                    "return_rate.warning",
                    actor=actor,
                    supplier_id=listing.supplier_id,
                    subject=breach,
                    reason=_percent(candidate.rate),
                    payload={
                        "breach": breach.pk,
                        "listing": listing.pk,
                        "rate": str(candidate.rate),
                        "units_sold": candidate.units_sold,
                        "units_returned": candidate.units_returned,
                        "window_start": run.window_start.isoformat(),
                        "window_end": run.window_end.isoformat(),
                    },
                )
                continue
            run.pauses += 1
            with override(settings.LANGUAGE_CODE):
                reason = _(
                    "Paused for review: %(rate)s of the units sold in the last %(days)d days "
                    "came back defective or not as described."
                ) % {"rate": _percent(candidate.rate), "days": settings.RETURN_RATE_WINDOW_DAYS}
            paused = listing_pause_for_review(listing, reason=reason, actor=actor)
            run.paused_listings += int(paused)
            amount = _fine_amount(listing.pk, run.window_start, run.window_end)
            if amount > 0:
                breach.fine = ledger_fine(
                    listing.supplier,
                    amount=amount,
                    actor=actor,
                    reference=breach,
                    memo=f"Return rate {_percent(candidate.rate)} on listing {listing.pk} "
                    f"({candidate.units_returned} defective of {candidate.units_sold} sold "
                    f"in {settings.RETURN_RATE_WINDOW_DAYS} days): breach {breach.pk}",
                )
                breach.save(update_fields=["fine"])
                run.fined += amount
            record_event(
                "return_rate.paused",
                actor=actor,
                supplier_id=listing.supplier_id,
                subject=breach,
                reason=_percent(candidate.rate),
                payload={
                    "breach": breach.pk,
                    "listing": listing.pk,
                    "rate": str(candidate.rate),
                    "units_sold": candidate.units_sold,
                    "units_returned": candidate.units_returned,
                    "window_start": run.window_start.isoformat(),
                    "window_end": run.window_end.isoformat(),
                    "paused": paused,
                    "fine": f"{amount:.2f}",
                    "appeal_until": breach.appeal_until.isoformat(),
                },
            )


def return_rates_compute(
    *, now: datetime | None = None, actor: User | None = None, progress: JobProgress | None = None
) -> RateRun:
    """The daily job (see the module's docstring). Idempotent: a re-run the same day rewrites
    the day's rows and opens nothing new unless the figures changed."""
    now = now or timezone.now()
    start, end = window_of(now)
    run = RateRun(day=timezone.localdate(now), window_start=start, window_end=end)
    run.rows = return_rate_rows_write(run.day, start, end)
    run.ended = _end_breaches(run.day, now)
    candidates = _candidates(run.day)
    if progress is not None:
        progress.set_total(run.rows + len(candidates))
        progress.advance(run.rows)
    for candidate in candidates:
        _open_breaches(candidate, run, actor=actor)
        if progress is not None:
            progress.advance()
    return run


# --- Appeals ----------------------------------------------------------------------------------


def breach_appeal(breach: ReturnRateBreach, *, text: str, actor: User) -> ReturnRateBreach:
    """The supplier appeals a breach's fine within RETURN_RATE_APPEAL_DAYS of the breach, saying
    why. Only a fined breach is appealed; the listing stays paused whatever the outcome."""
    if supplier_id_for(actor) != breach.supplier_id:
        raise DomainError("not_found", _("No such breach."), kind=ErrorKind.NOT_FOUND)
    text = text.strip()
    if not text:
        raise DomainError(
            "appeal_text_required",
            _("Say why the fine is wrong."),
            fields={"text": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )

    def check(locked: ReturnRateBreach) -> None:
        if locked.fine_id is None:
            raise DomainError(
                "nothing_to_appeal",
                _("Only a fine can be appealed; this breach has none."),
                kind=ErrorKind.INVALID,
            )
        if timezone.now() > locked.appeal_until:
            raise DomainError(
                "appeal_window_closed",
                _("A return-rate fine can be appealed within %(days)d days of the breach.")
                % {"days": settings.RETURN_RATE_APPEAL_DAYS},
            )

    return transition(
        breach,
        BREACH_APPEAL_MACHINE,
        Appeal.PENDING,
        actor=actor,
        reason=text[:300],
        check=check,
        changes={"appeal_text": text, "appealed_at": timezone.now()},
        payload={"breach": breach.pk, "listing": breach.listing_id},
    )


def _note(note: str) -> str:
    note = note.strip()
    if not note:
        raise DomainError(
            "note_required",
            _("Say why."),
            fields={"note": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return note[:500]


def breach_appeal_uphold(breach: ReturnRateBreach, *, note: str, actor: User) -> ReturnRateBreach:
    """An operator upholds the supplier's appeal: the fine is given back as a reversal entry
    pointing at it. The listing stays paused: resuming it is a separate decision."""
    note = _note(note)

    def reverse(locked: ReturnRateBreach, _before: ReturnRateBreach) -> None:
        if locked.fine is not None and locked.reversal_id is None:
            locked.reversal = ledger_reverse_fine(
                locked.fine, actor=actor, memo=f"Return-rate breach {locked.pk}: appeal upheld"
            )
            locked.save(update_fields=["reversal"])

    return transition(
        breach,
        BREACH_APPEAL_MACHINE,
        Appeal.UPHELD,
        actor=actor,
        reason=note[:300],
        changes={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note},
        then=reverse,
        payload={"breach": breach.pk, "listing": breach.listing_id},
    )


def breach_appeal_dismiss(breach: ReturnRateBreach, *, note: str, actor: User) -> ReturnRateBreach:
    """An operator dismisses the supplier's appeal: the fine stands."""
    note = _note(note)
    return transition(
        breach,
        BREACH_APPEAL_MACHINE,
        Appeal.DISMISSED,
        actor=actor,
        reason=note[:300],
        changes={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note},
        payload={"breach": breach.pk, "listing": breach.listing_id},
    )
