"""The planner of one chunk of listings: forecasts, then proposals (SPEC, "Demand-driven
restock"; the arithmetic is restock.models' docstring).

`plan_chunk(run, first_id, last_id, today=...)` reads the chunk's demand in one query,
forecasts it in-process (restock.services.forecasting), and in one transaction upserts each
listing's Forecast, upserts its open proposal (one a listing, by the partial unique
constraint), withdraws the open proposals no longer needed, and marks or clears dead stock.
A small constant number of queries, whatever the chunk's size.

Idempotent and safe to run twice at once (a Celery retry of a chunk whose first delivery is
still running): on PostgreSQL the write phase takes a transaction-level advisory lock on the
chunk's range, so a second run of the same range waits for the first and then finds its
proposals open and updates them (no second proposal, no second "proposed" event); the open
proposals are locked before they are read, in the same order as a supplier's confirmation
takes them (proposal, then listing), so a confirmation meanwhile is waited for, not
overwritten.

Rules, per listing (settings in marketplace/settings.py):

- replenishment time L = RESTOCK_CONFIRM_DAYS + (the listing's production lead time, else
  RESTOCK_PRODUCTION_DAYS) + RESTOCK_TRANSIT_DAYS + RESTOCK_RECEIVING_DAYS; the forecast's
  horizon is L;
- need = demand over L + safety stock - (available + inbound + open stocking orders + other
  open proposals); quantity = need rounded up to whole case packs, then within the stocking
  cap less the units of open stocking orders (whole case packs that fit); 0: no proposal;
- trending (7-day rate > RESTOCK_TRENDING_FACTOR x the previous 28-day rate, or any orders in
  the 7 days after none in the 28): the proposal is urgent;
- dead: no orders in the last RESTOCK_DEAD_DAYS days, for a listing at least that old: no
  proposal; with stock available it is dead stock (Listing.dead_stock_since, the earlier date
  kept; the overstock job reads it), cleared when orders come back. A listing without stock
  and without orders is not dead stock: nothing of it sits in a hub;
- a supplier of very poor standing (suppliers.selectors.standings_of) gets no proposal;
- a snoozed open proposal (snoozed_until >= today) is left alone.

The demand read ends yesterday (China's date): today's signals are still coming in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalogue.models import Listing
from marketplace.events import NewEvent, record_events_set
from marketplace.formatting import suppliers_today
from marketplace.models import JobRun
from suppliers.models import Standing
from suppliers.selectors import standings_of

from ..models import RESTOCK_PROPOSAL_MACHINE, Forecast, RestockProposal
from ..selectors.demand import demand_matrix
from ..selectors.position import Position, positions, stocking_caps
from .forecasting import Forecasts, day_of_column, forecast_demand

THOUSANDTH = Decimal("0.001")
OPEN = RestockProposal.Status.OPEN
WITHDRAWN = RestockProposal.Status.WITHDRAWN

# A withdrawal's reason (the event's `reason`), in English like the other event reasons.
WHY_COVERED = "covered: available, inbound and ordered stock meet the forecast need"
WHY_DEAD = "no orders in %(days)d days"
WHY_VERY_POOR = "the supplier's standing is very poor"
WHY_NOT_PLANNED = "the listing is no longer planned (not live, paused or approved)"

FORECAST_FIELDS = [
    "run",
    "made_at",
    "pattern",
    "method",
    "fallback",
    "horizon_days",
    "daily",
    "mean_daily",
    "mase",
    "adi",
    "cv2",
    "rate_7d",
    "rate_28d",
    "trending",
    "last_order_day",
]

# What a run rewrites on an open proposal (the arithmetic, the urgency and the expiry).
PROPOSAL_FIELDS = [
    "urgent",
    "quantity",
    "run",
    "updated_at",
    "expires_at",
    "method",
    "mean_daily",
    "confirm_days",
    "production_days",
    "transit_days",
    "receiving_days",
    "demand_over_lead",
    "service_level",
    "safety_stock",
    "safety_method",
    "available",
    "inbound",
    "open_orders",
    "open_proposals",
    "need",
    "case_pack",
    "cap",
]


def _dec(value: float, places: Decimal = THOUSANDTH) -> Decimal:
    return Decimal(repr(float(value))).quantize(places, rounding=ROUND_HALF_UP)


def _optional_dec(value: float, places: Decimal) -> Decimal | None:
    return None if math.isnan(value) else _dec(value, places)


@dataclass(frozen=True)
class Terms:
    """Every term of one listing's proposal arithmetic."""

    method: str
    mean_daily: Decimal
    confirm_days: int
    production_days: int
    transit_days: int
    receiving_days: int
    demand_over_lead: Decimal
    service_level: Decimal
    safety_stock: Decimal
    safety_method: str
    available: int
    inbound: int
    open_orders: int
    open_proposals: int
    need: Decimal
    case_pack: int
    cap: int | None
    quantity: int

    @property
    def lead_days(self) -> int:
        return self.confirm_days + self.production_days + self.transit_days + self.receiving_days


def proposal_terms(
    *,
    method: str,
    demand_over_lead: Decimal,
    safety_stock: Decimal,
    safety_method: str,
    production_days: int,
    position: Position,
    case_pack: int,
    cap: int | None,
    open_proposals: int = 0,
) -> Terms:
    """The arithmetic of one proposal: need, rounded up to whole case packs, then cut to the
    whole case packs that fit under the stocking cap less the units already ordered."""
    confirm = settings.RESTOCK_CONFIRM_DAYS
    transit = settings.RESTOCK_TRANSIT_DAYS
    receiving = settings.RESTOCK_RECEIVING_DAYS
    lead = confirm + production_days + transit + receiving
    need = (
        demand_over_lead
        + safety_stock
        - (position.available + position.inbound + position.open_orders + open_proposals)
    )
    quantity = 0
    if need > 0:
        quantity = math.ceil(need / case_pack) * case_pack
        if cap is not None:
            room = max(cap - position.open_orders, 0)
            quantity = min(quantity, room - room % case_pack)
    return Terms(
        method=method,
        mean_daily=(demand_over_lead / lead).quantize(THOUSANDTH, rounding=ROUND_HALF_UP),
        confirm_days=confirm,
        production_days=production_days,
        transit_days=transit,
        receiving_days=receiving,
        demand_over_lead=demand_over_lead,
        service_level=settings.RESTOCK_SERVICE_LEVEL,
        safety_stock=safety_stock,
        safety_method=safety_method,
        available=position.available,
        inbound=position.inbound,
        open_orders=position.open_orders,
        open_proposals=open_proposals,
        need=need,
        case_pack=case_pack,
        cap=cap,
        quantity=quantity,
    )


def lead_days(production_lead_days: int | None) -> int:
    return (
        settings.RESTOCK_CONFIRM_DAYS
        + (production_lead_days or settings.RESTOCK_PRODUCTION_DAYS)
        + settings.RESTOCK_TRANSIT_DAYS
        + settings.RESTOCK_RECEIVING_DAYS
    )


@dataclass(frozen=True)
class _Listing:
    id: int
    supplier_id: int
    case_pack: int
    production_days: int
    first_batch_passed: bool
    created: date
    dead_stock_since: date | None


def _update_open(proposals: list[RestockProposal]) -> None:
    """Rewrite the arithmetic of open proposals, one statement. On PostgreSQL an UPDATE from
    arrays (`bulk_update`'s CASE WHEN per row and field grows with the square of the rows:
    20 s for 2,000); elsewhere `bulk_update`. Only rows still open are touched."""
    if connection.vendor != "postgresql":
        RestockProposal.objects.filter(status=OPEN).bulk_update(proposals, PROPOSAL_FIELDS)
        return
    fields = [RestockProposal._meta.get_field(name) for name in PROPOSAL_FIELDS]
    columns: list[str] = [str(field.column) for field in fields]  # type: ignore[union-attr]
    arrays = ", ".join(
        f"%s::{field.db_type(connection)}[]"  # type: ignore[union-attr]
        for field in [RestockProposal._meta.pk, *fields]
    )
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    values = [[p.pk for p in proposals]] + [
        [getattr(p, field.attname) for p in proposals]  # type: ignore[union-attr]
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE restock_restockproposal AS p SET {assignments} "  # noqa: S608
            f"FROM unnest({arrays}) AS v(id, {', '.join(columns)}) "
            "WHERE p.id = v.id AND p.status = %s",
            [*values, OPEN],
        )


def _lock_chunk(first_id: int, last_id: int) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite serialises writers itself
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"restock.plan_chunk:{first_id}:{last_id}"],
        )


def plan_chunk(
    run: JobRun | None,
    first_id: int,
    last_id: int,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> int:
    """Plan the planned listings with ids in [first_id, last_id] (see the module's docstring).
    Returns how many open proposals the chunk's listings have afterwards."""
    now = now or timezone.now()
    today = today or suppliers_today(now)
    days = settings.RESTOCK_HISTORY_DAYS
    end_day = today - timedelta(days=1)
    ids, matrix = demand_matrix(first_id, last_id, end_day=end_day, days=days)
    listings = {
        row[0]: _Listing(
            id=row[0],
            supplier_id=row[1],
            case_pack=row[2],
            production_days=row[3] or settings.RESTOCK_PRODUCTION_DAYS,
            first_batch_passed=row[4] is not None,
            created=suppliers_today(row[5]),
            dead_stock_since=row[6],
        )
        for row in Listing.objects.filter(pk__in=[int(i) for i in ids]).values_list(
            "id",
            "supplier_id",
            "case_pack",
            "production_lead_days",
            "first_batch_accepted_at",
            "created_at",
            "dead_stock_since",
        )
    }
    # A listing gone between the two reads (deleted) is left out of this run.
    kept = [row for row, i in enumerate(ids) if int(i) in listings]
    if len(kept) < len(ids):
        ids, matrix = ids[kept], matrix[kept]
    order = [int(i) for i in ids]
    horizons = [lead_days(listings[i].production_days) for i in order]
    result = forecast_demand(
        matrix,
        horizons=horizons,
        service_level=float(settings.RESTOCK_SERVICE_LEVEL),
        backtest_days=settings.RESTOCK_BACKTEST_DAYS,
        trending_days=settings.RESTOCK_TRENDING_DAYS,
        trending_base_days=settings.RESTOCK_TRENDING_BASE_DAYS,
        trending_factor=float(settings.RESTOCK_TRENDING_FACTOR),
    )
    with transaction.atomic():
        _lock_chunk(first_id, last_id)
        return _write(run, first_id, last_id, order, listings, result, today, end_day, now)


def _write(
    run: JobRun | None,
    first_id: int,
    last_id: int,
    order: list[int],
    listings: dict[int, _Listing],
    result: Forecasts,
    today: date,
    end_day: date,
    now: datetime,
) -> int:
    days = settings.RESTOCK_HISTORY_DAYS
    # Locked first, in id order, as a supplier's confirmation locks its proposal first.
    open_now = {
        proposal.listing_id: proposal
        for proposal in RestockProposal.objects.select_for_update()
        .filter(status=OPEN, listing_id__gte=first_id, listing_id__lte=last_id)
        .order_by("pk")
    }
    stock = positions(first_id, last_id)
    standing = standings_of(sorted({listing.supplier_id for listing in listings.values()}))
    caps = stocking_caps(
        ((i, listings[i].first_batch_passed, listings[i].supplier_id) for i in order), standing
    )

    forecasts: list[Forecast] = []
    wanted: dict[int, tuple[Terms, bool]] = {}
    dead: list[int] = []
    why: dict[int, str] = {}  # why a listing gets no proposal (a withdrawal's reason)
    selling: list[int] = []
    # The RESTOCK_DEAD_DAYS days up to yesterday start here.
    dead_since = today - timedelta(days=settings.RESTOCK_DEAD_DAYS)
    for row, listing_id in enumerate(order):
        listing = listings[listing_id]
        horizon = int(result.horizons[row])
        last_order = day_of_column(end_day, days, int(result.last_demand[row]))
        forecasts.append(
            Forecast(
                listing_id=listing_id,
                run=run,
                made_at=now,
                pattern=result.pattern[row],
                method=result.method[row],
                fallback=bool(result.fallback[row]),
                horizon_days=horizon,
                daily=[round(float(v), 3) for v in result.daily[row, :horizon]],
                mean_daily=_dec(result.mean_daily[row]),
                mase=_optional_dec(result.mase[row], THOUSANDTH),
                adi=_optional_dec(result.adi[row], Decimal("0.01")),
                cv2=_optional_dec(result.cv2[row], THOUSANDTH),
                rate_7d=_dec(result.rate_7d[row]),
                rate_28d=_dec(result.rate_28d[row]),
                trending=bool(result.trending[row]),
                last_order_day=last_order,
            )
        )
        position = stock.get(listing_id, Position())
        no_orders = (last_order is None or last_order < dead_since) and (
            listing.created <= dead_since
        )
        if no_orders:
            if position.available > 0:
                dead.append(listing_id)
            why[listing_id] = WHY_DEAD % {"days": settings.RESTOCK_DEAD_DAYS}
            continue
        selling.append(listing_id)
        if standing.get(listing.supplier_id) == Standing.VERY_POOR:
            why[listing_id] = WHY_VERY_POOR
            continue
        terms = proposal_terms(
            method=result.method[row],
            demand_over_lead=_dec(result.demand_over_lead[row]),
            safety_stock=_dec(result.safety[row]),
            safety_method=result.safety_method[row],
            production_days=listing.production_days,
            position=position,
            case_pack=listing.case_pack,
            cap=caps.get(listing_id),
        )
        if terms.quantity > 0:
            wanted[listing_id] = (terms, bool(result.trending[row]))
        else:
            why[listing_id] = WHY_COVERED

    Forecast.objects.bulk_create(
        forecasts, update_conflicts=True, unique_fields=["listing"], update_fields=FORECAST_FIELDS
    )

    expires = now + timedelta(days=settings.RESTOCK_PROPOSAL_DAYS)
    snoozed = {
        listing_id
        for listing_id, proposal in open_now.items()
        if proposal.snoozed_until is not None and proposal.snoozed_until >= today
    }
    updates: list[RestockProposal] = []
    creates: list[RestockProposal] = []
    for listing_id, (terms, urgent) in wanted.items():
        if listing_id in snoozed:
            continue
        proposal = open_now.get(listing_id) or RestockProposal(
            listing_id=listing_id,
            supplier_id=listings[listing_id].supplier_id,
            status=OPEN,
            proposed_at=now,
        )
        proposal.urgent = urgent
        proposal.quantity = terms.quantity
        proposal.run = run
        proposal.updated_at = now
        proposal.expires_at = expires
        for name in PROPOSAL_FIELDS:
            if hasattr(terms, name):
                setattr(proposal, name, getattr(terms, name))
        (updates if proposal.pk else creates).append(proposal)
    if updates:
        _update_open(updates)
    created = RestockProposal.objects.bulk_create(creates) if creates else []

    gone = [
        proposal
        for listing_id, proposal in open_now.items()
        if listing_id not in wanted and listing_id not in snoozed
    ]
    if gone:
        RestockProposal.objects.filter(
            pk__in=[p.pk for p in gone],
            status__in=RESTOCK_PROPOSAL_MACHINE.sources(WITHDRAWN),
        ).update(status=WITHDRAWN, updated_at=now)
    events = [
        NewEvent(
            "restock_proposal.proposed",
            supplier_id=proposal.supplier_id,
            subject_ref=(RestockProposal, proposal.pk),
            payload={
                "listing": proposal.listing_id,
                "quantity": proposal.quantity,
                "urgent": proposal.urgent,
            },
        )
        for proposal in created
    ] + [
        NewEvent(
            "restock_proposal.withdrawn",
            supplier_id=proposal.supplier_id,
            subject_ref=(RestockProposal, proposal.pk),
            reason=why.get(proposal.listing_id, WHY_NOT_PLANNED),
            payload={
                "from": OPEN,
                "to": WITHDRAWN,
                "listing": proposal.listing_id,
                "quantity": proposal.quantity,
            },
        )
        for proposal in gone
    ]
    if events:
        record_events_set(events)

    # Listings last: a confirmation locks its proposal, then its listing; so does this.
    if dead:
        Listing.objects.filter(pk__in=dead, dead_stock_since__isnull=True).update(
            dead_stock_since=today
        )
    if selling:
        Listing.objects.filter(pk__in=selling, dead_stock_since__isnull=False).update(
            dead_stock_since=None
        )
    return len(wanted.keys() - snoozed) + len(snoozed)
