"""Random sampling of live listings (SPEC, "Random sampling"; issue 12): the daily draw that picks
listings for a test purchase, and pulling the units of a picked listing.

It lives in logistics because pulling units is a stock movement; it reads the catalogue (live
listings, their markets) and compliance (programmes, records, the request rows), both below.

## The weight of a candidate

A candidate is a live listing with no open sampling request whose programmes in force require at
least one lab test in the markets where it is on sale (`markets_on_sale`). Its weight is the
product of five factors:

    weight = risk * returns * standing * staleness * failures

- risk:      3 for a high-risk category, 1 for a low-risk one;
- returns:   1 + 10 * min(r, 0.20), so 1 (no returns) to 3 (20 % or more), where r is the
             listing's own return rate from the stock ledger (units returned / units sold, the
             rule the stocking cap reads) once it has sold RETURNS_MIN_SOLD units; else the
             supplier's latest Scorecard.return_rate; else no data: 1. Consumer orders carry no
             returns yet (orders/ has none), so the ledger and the scorecard are the sources; the
             factor says which one it used;
- standing:  STANDING_SAMPLING_WEIGHT[the supplier's standing] (its latest Scorecard's; no
             scorecard: "new"), by default very poor 2, poor 1.5, new and good 1, excellent
             0.75: the same standing the tenders and the stocking cap read;
- staleness: 1 + min(d, 365) / 365, so 1 to 2, where d is the days since the issue date of the
             latest passing record that counts (verified, recorded, not superseded) for the
             listing's product and supplier; never tested: 2, the maximum;
- failures:  1 + min(f, 3), so 1 to 4, where f is the number of verified failed records for that
             product and supplier (superseded ones included: a failure stays a past failure).

The weight is rounded to 6 decimals and stored as a string; the draw uses that stored value, so
a replay computes exactly the same keys.

## The draw

Weighted sampling without replacement (Efraimidis and Spirakis, 2006): each candidate, in listing
id order, takes u from `random.Random(seed)` and gets the key ln(u) / weight (the logarithm of
u^(1/w), the same order without underflow); candidates are taken by descending key. Each one
picked costs the sum of `Standard.test_cost_cny` over its standards to test (the lab-test
requirements of its programmes in force, in all its markets: the category's own programme, else
its parent's, else the general one). A candidate whose cost no longer fits the day's allowance is
passed over (`over_budget`) and the next one is tried, so cheaper tests can still fit.

The day's allowance spreads the month's budget (settings.SAMPLING_MONTHLY_BUDGET_CNY) pro rata:
budget * day / days in the month, less what the month's earlier draws committed (the cost of
their requests not cancelled: a cancelled request gives its cost back), never more than what is
left of the month's budget. A day that spends nothing leaves its share to the next ones.

The seed, the allowance and every candidate's weight, factors, cost, key, rank and outcome are
stored on the SamplingDraw: `sampling_draw_replay(draw)` picks again from them and must give
the same listings. One draw a day (SamplingDraw.drawn_on is unique): a second call returns the
first draw. The draw's query count does not grow with the number of listings.
"""

from __future__ import annotations

import calendar
import math
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue.models import Category, Listing
from catalogue.selectors import markets_on_sale, with_selling_data
from compliance.models import (
    SAMPLING_REQUEST_MACHINE,
    ProgrammeRequirement,
    SamplingDraw,
    SamplingRequest,
    Standard,
    TestProgramme,
    TestRecord,
)
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import NewEvent, record_events
from marketplace.states import transition
from suppliers.models import Scorecard, Standing

from ..models import StockMovement, StockPosition
from .stock import stock_remove

if TYPE_CHECKING:
    from accounts.models import User
    from marketplace.jobs import JobProgress

RS = SamplingRequest.Status
OPEN = (RS.PLANNED, RS.UNITS_PULLED, RS.SENT_TO_LAB)
# A listing's own return rate is trusted once it has sold this many units.
RETURNS_MIN_SOLD = 20
RETURNS_CAP = Decimal("0.20")
STALE_DAYS = 365
FAILURES_CAP = 3
RISK_FACTOR: dict[str, Decimal] = {
    Category.Risk.HIGH: Decimal("3"),
    Category.Risk.LOW: Decimal("1"),
}
TESTED_BY_LAB = (
    ProgrammeRequirement.Evidence.LAB_TEST,
    ProgrammeRequirement.Evidence.TEST_OR_CERTIFICATE,
)
SIX = Decimal("0.000001")
CENTS = Decimal("0.01")

PICKED = "picked"
OVER_BUDGET = "over_budget"


# --- The weight ---------------------------------------------------------------------------------


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def weigh(
    *,
    risk: str,
    return_rate: Decimal | None,
    return_source: str,
    standing: str,
    days_since_pass: int | None,
    failures: int,
) -> tuple[Decimal, dict[str, Any]]:
    """A candidate's weight and the factors behind it (the module's docstring gives the rule)."""
    risk_factor = RISK_FACTOR.get(risk, Decimal("1"))
    returns_factor = (
        Decimal("1")
        if return_rate is None
        else 1 + 10 * _clamp(return_rate, Decimal("0"), RETURNS_CAP)
    )
    standing_factor = Decimal(str(settings.STANDING_SAMPLING_WEIGHT.get(standing, 1)))
    staleness_factor = (
        Decimal("2")
        if days_since_pass is None
        else 1 + Decimal(min(max(days_since_pass, 0), STALE_DAYS)) / STALE_DAYS
    )
    failures_factor = Decimal(1 + min(failures, FAILURES_CAP))
    weight = (
        risk_factor * returns_factor * standing_factor * staleness_factor * failures_factor
    ).quantize(SIX, ROUND_HALF_UP)
    factors = {
        "risk": risk,
        "risk_factor": str(risk_factor),
        "return_rate": None
        if return_rate is None
        else str(return_rate.quantize(Decimal("0.0001"))),
        "return_source": return_source,
        "returns_factor": str(returns_factor.quantize(SIX)),
        "standing": standing,
        "standing_factor": str(standing_factor.quantize(SIX)),
        "days_since_pass": days_since_pass,
        "staleness_factor": str(staleness_factor.quantize(SIX)),
        "failures": failures,
        "failures_factor": str(failures_factor),
    }
    return weight, factors


# --- The draw, as pure functions of the seed ---------------------------------------------------


def draw_keys(seed: int, weights: Mapping[int, Decimal | str]) -> dict[int, float]:
    """Each candidate's Efraimidis-Spirakis key ln(u) / w, u drawn in listing id order."""
    # Reproducible by design (the seed is stored), not a secret: hence not `secrets`.
    rng = random.Random(seed)  # noqa: S311
    keys = {}
    for listing_id in sorted(weights):
        u = 1.0 - rng.random()  # in (0, 1]
        keys[listing_id] = math.log(u) / float(weights[listing_id])
    return keys


@dataclass(frozen=True)
class Choice:
    picked: list[int]  # in the order taken
    keys: dict[int, float]
    ranks: dict[int, int]
    outcomes: dict[int, str]
    spent: Decimal


def choose(
    seed: int, candidates: Mapping[int, tuple[Decimal | str, Decimal | str]], allowance: Decimal
) -> Choice:
    """Pick from `candidates` ({listing id: (weight, cost)}) without replacement, by descending
    key, as long as each one's cost fits what is left of `allowance`."""
    keys = draw_keys(seed, {pk: weight for pk, (weight, _cost) in candidates.items()})
    order = sorted(keys, key=lambda pk: (-keys[pk], pk))
    left = Decimal(allowance)
    picked: list[int] = []
    outcomes: dict[int, str] = {}
    for listing_id in order:
        cost = Decimal(candidates[listing_id][1])
        if cost <= left:
            picked.append(listing_id)
            outcomes[listing_id] = PICKED
            left -= cost
        else:
            outcomes[listing_id] = OVER_BUDGET
    ranks = {pk: rank for rank, pk in enumerate(order, start=1)}
    return Choice(picked, keys, ranks, outcomes, Decimal(allowance) - left)


def sampling_draw_replay(draw: SamplingDraw) -> list[int]:
    """The listings the draw picks again from its stored seed, weights, costs and allowance."""
    candidates = {int(pk): (entry["weight"], entry["cost"]) for pk, entry in draw.weights.items()}
    return choose(draw.seed, candidates, draw.allowance_cny).picked


# --- The budget ---------------------------------------------------------------------------------


def month_committed(on: date) -> Decimal:
    """What the month's draws before `on` committed: their requests' costs, less cancelled ones."""
    total = (
        SamplingRequest.objects.filter(draw__drawn_on__gte=on.replace(day=1), draw__drawn_on__lt=on)
        .exclude(status=RS.CANCELLED)
        .aggregate(n=Sum("cost_cny"))["n"]
    )
    return Decimal(total or 0)


def day_allowance(on: date, committed: Decimal) -> tuple[Decimal, Decimal]:
    """(what is left of the month's budget, what the day may spend) for draws on `on`."""
    budget = Decimal(settings.SAMPLING_MONTHLY_BUDGET_CNY)
    left = max(budget - committed, Decimal("0"))
    days = calendar.monthrange(on.year, on.month)[1]
    pro_rata = (budget * on.day / days).quantize(CENTS)
    return left.quantize(CENTS), min(left, max(pro_rata - committed, Decimal("0"))).quantize(CENTS)


# --- The candidates -----------------------------------------------------------------------------


def _programmes(on: date) -> dict[tuple[int | None, str], list[Standard]]:
    """The standards each programme in force requires a lab test for, by (category, market)."""
    requirements = ProgrammeRequirement.objects.filter(
        evidence__in=TESTED_BY_LAB, standard__in=Standard.objects.in_force(on)
    ).select_related("standard")
    programmes = (
        TestProgramme.objects.in_force(on)
        .order_by("effective_from", "pk")
        .prefetch_related(Prefetch("requirements", queryset=requirements))
    )
    # Ordered by start: of two in force at once, the later one wins.
    return {
        (p.category_id, p.market): [r.standard for r in p.requirements.all()] for p in programmes
    }


def _standards_to_test(
    listing: Listing, markets: list[str], programmes: dict[tuple[int | None, str], list[Standard]]
) -> list[Standard]:
    category = listing.product.category
    found: dict[int, Standard] = {}
    for market in markets:
        # The category's own programme replaces its parent's, which replaces the general one.
        for key in ((category.pk, market), (category.parent_id, market), (None, market)):
            if key in programmes:
                for standard in programmes[key]:
                    found.setdefault(standard.pk, standard)
                break
    return sorted(found.values(), key=lambda s: s.code)


def _candidate_listings(now: Any) -> Any:
    """Live listings with no open request, with every figure their weight needs, in one query
    (and two for their markets)."""
    sold = (
        StockPosition.objects.filter(listing=OuterRef("pk"))
        .order_by()
        .values("listing")
        .annotate(n=Sum("sold"))
        .values("n")
    )
    returned = (
        StockMovement.objects.filter(
            position__listing=OuterRef("pk"), kind=StockMovement.Kind.RETURN
        )
        .order_by()
        .values("position__listing")
        .annotate(n=Sum("on_hand"))
        .values("n")
    )
    # One scorecard a supplier a day: the latest day's.
    latest_card = Scorecard.objects.filter(supplier=OuterRef("supplier")).order_by("-day")
    counting = TestRecord.objects.filter(
        product=OuterRef("product"),
        supplier=OuterRef("supplier"),
        status=TestRecord.Status.VERIFIED,
        verified_at__lte=now,
        recorded_at__lte=now,
    )
    last_pass = (
        counting.filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=now))
        .filter(result=TestRecord.Result.PASS)
        .order_by()
        .values("product")
        .annotate(last=Max("issued_on"))
        .values("last")
    )
    failures = (
        counting.filter(result=TestRecord.Result.FAIL)
        .order_by()
        .values("product")
        .annotate(n=Count("pk"))
        .values("n")
    )
    open_request = SamplingRequest.objects.filter(listing=OuterRef("pk"), status__in=OPEN)
    listings = (
        Listing.objects.filter(status=Listing.Status.LIVE)
        .exclude(Exists(open_request))
        .select_related("product__category")
        .annotate(
            units_sold=Coalesce(Subquery(sold), 0),
            units_returned=Coalesce(Subquery(returned), 0),
            card_standing=Subquery(latest_card.values("standing")[:1]),
            card_return_rate=Subquery(latest_card.values("return_rate")[:1]),
            last_pass_on=Subquery(last_pass),
            failures=Coalesce(Subquery(failures), 0),
        )
        .order_by("pk")
    )
    return with_selling_data(listings)


@dataclass(frozen=True)
class Candidate:
    listing: Listing
    weight: Decimal
    factors: dict[str, Any]
    standards: list[Standard]
    markets: list[str]

    @property
    def cost(self) -> Decimal:
        return sum((s.test_cost_cny for s in self.standards), Decimal("0.00"))


def _return_rate(listing: Any) -> tuple[Decimal | None, str]:
    if listing.units_sold >= RETURNS_MIN_SOLD:
        return Decimal(listing.units_returned) / listing.units_sold, "ledger"
    if listing.card_return_rate is not None:
        return Decimal(listing.card_return_rate), "scorecard"
    return None, "none"


def sampling_candidates(on: date, *, progress: JobProgress | None = None) -> list[Candidate]:
    """Every candidate of a draw on `on`, weighed (a fixed number of queries)."""
    now = timezone.now()
    programmes = _programmes(on)
    listings = list(_candidate_listings(now))
    if progress is not None:
        progress.set_total(len(listings))
    found = []
    for listing in listings:
        markets = markets_on_sale(listing)
        standards = _standards_to_test(listing, markets, programmes)
        if progress is not None:
            progress.advance()
        if not standards:
            continue  # nothing its programmes want a lab to test
        return_rate, return_source = _return_rate(listing)
        weight, factors = weigh(
            risk=listing.product.category.risk_level,
            return_rate=return_rate,
            return_source=return_source,
            standing=listing.card_standing or Standing.NEW.value,
            days_since_pass=None
            if listing.last_pass_on is None
            else (on - listing.last_pass_on).days,
            failures=listing.failures,
        )
        found.append(Candidate(listing, weight, factors, standards, markets))
    return found


# --- The service --------------------------------------------------------------------------------


def sampling_draw(
    *,
    on: date | None = None,
    seed: int | None = None,
    actor: User | None = None,
    progress: JobProgress | None = None,
) -> SamplingDraw:
    """The day's draw: weigh the candidates, pick within the day's allowance, and plan a sampling
    request for each pick. Idempotent: the day's draw, once made, is returned as it is."""
    on = on or timezone.localdate()
    existing = SamplingDraw.objects.filter(drawn_on=on).first()
    if existing is not None:
        return existing
    seed = secrets.randbits(63) if seed is None else seed
    candidates = {c.listing.pk: c for c in sampling_candidates(on, progress=progress)}
    with transaction.atomic():
        budget_left, allowance = day_allowance(on, month_committed(on))
        choice = choose(seed, {pk: (c.weight, c.cost) for pk, c in candidates.items()}, allowance)
        draw = SamplingDraw(
            drawn_on=on,
            seed=seed,
            budget_cny=budget_left,
            allowance_cny=allowance,
            spent_cny=choice.spent,
            candidates=len(candidates),
            weights={
                str(pk): {
                    "listing": c.listing.product.title_en,
                    "supplier": c.listing.supplier_id,
                    "mode": c.listing.mode,
                    "markets": c.markets,
                    "weight": str(c.weight),
                    "factors": c.factors,
                    "standards": [s.code for s in c.standards],
                    "cost": str(c.cost),
                    "key": choice.keys[pk],
                    "rank": choice.ranks[pk],
                    "outcome": choice.outcomes[pk],
                }
                for pk, c in candidates.items()
            },
        )
        try:
            with transaction.atomic():
                draw.save()
        except IntegrityError:
            # Another worker drew the day meanwhile: that draw stands.
            return SamplingDraw.objects.get(drawn_on=on)
        requests = SamplingRequest.objects.bulk_create(
            [
                SamplingRequest(
                    draw=draw,
                    listing_id=pk,
                    supplier_id=candidates[pk].listing.supplier_id,
                    weight=candidates[pk].weight,
                    factors=candidates[pk].factors,
                    cost_cny=candidates[pk].cost,
                    created_by=actor,
                )
                for pk in choice.picked
            ]
        )
        Through = SamplingRequest.standards.through
        Through.objects.bulk_create(
            [
                Through(samplingrequest_id=request.pk, standard_id=standard.pk)
                for request in requests
                for standard in candidates[request.listing_id].standards
            ]
        )
        # No supplier on the event: a test purchase is not announced to the seller before the
        # units are pulled.
        record_events(
            NewEvent(
                "compliance.sampling_planned",
                actor=actor,
                subject=request,
                reason=_("Drawn on %(day)s") % {"day": on.isoformat()},
                payload={
                    "listing": request.listing_id,
                    "draw": draw.pk,
                    "weight": str(request.weight),
                    "cost": str(request.cost_cny),
                },
            )
            for request in requests
        )
    return draw


# --- Pulling the units --------------------------------------------------------------------------


def sampling_units_pull(
    request: SamplingRequest,
    *,
    actor: User,
    purchase_reference: str = "",
    purchase_amount_cny: Decimal | None = None,
) -> SamplingRequest:
    """Pull a planned request's units: from a fully-managed listing's consignment stock, a
    movement of kind "sample" out of the warehouse holding the most available units (its
    position's sums and the listing's stock rule kept as for any removal); for a semi-managed
    listing, a test purchase from the seller, whose order reference and amount are recorded."""
    with transaction.atomic():
        locked = SamplingRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status == RS.UNITS_PULLED:
            return locked
        if not SAMPLING_REQUEST_MACHINE.allows(locked.status, RS.UNITS_PULLED):
            raise SAMPLING_REQUEST_MACHINE.refuse(locked.status, RS.UNITS_PULLED)
        listing = Listing.objects.get(pk=locked.listing_id)
        changes: dict[str, Any] = {"units_pulled_at": timezone.now()}
        if listing.mode == Listing.Mode.FULLY_MANAGED:
            changes["stock_movement"] = _pull_from_stock(locked, listing, actor=actor)
            how = "stock"
        else:
            changes.update(_purchase(purchase_reference, purchase_amount_cny))
            how = "purchase"
        moved = transition(
            locked,
            SAMPLING_REQUEST_MACHINE,
            RS.UNITS_PULLED,
            actor=actor,
            changes=changes,
            payload={"units": locked.units, "how": how},
        )
    for name in ("status", "status_changed_at", *changes):
        setattr(request, name, getattr(moved, name))
    return moved


def _pull_from_stock(request: SamplingRequest, listing: Listing, *, actor: User) -> StockMovement:
    position = (
        StockPosition.objects.select_for_update()
        .filter(listing=listing, available__gte=request.units)
        .order_by("-available", "pk")
        .first()
    )
    if position is None:
        message = _("No warehouse holds %(n)d available units of this listing.") % {
            "n": request.units
        }
        raise DomainError("out_of_stock", message, fields={"units": [message]})
    return stock_remove(
        position,
        request.units,
        StockMovement.Kind.SAMPLE,
        reference=f"sample #{request.pk}",
        actor=actor,
    )


def _purchase(reference: str, amount: Decimal | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if not reference.strip():
        errors["purchase_reference"] = [_("Give the test purchase's order reference.")]
    if amount is None or amount < 0:
        errors["purchase_amount_cny"] = [_("Give what the test purchase cost (CNY).")]
    if errors:
        raise DomainError(
            "purchase_required",
            _("A semi-managed listing's units are bought: record the purchase."),
            kind=ErrorKind.INVALID,
            fields=errors,
        )
    assert amount is not None
    return {"purchase_reference": reference.strip(), "purchase_amount_cny": amount}
