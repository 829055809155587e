"""How a scorecard's counts become scores (SPEC, "Scorecard"), as pure functions the nightly job
(services.compute) and the pages that explain a scorecard (selectors) share.

Each component is a rate over a count of events in the window, or (corrective actions) a count:

- a good rate (on time, lab pass) scores 100 x the rate: by the lower end of its Wilson
  interval (the pessimistic score) and by its upper end (the optimistic one);
- a bad rate (quality rejection, returns, defects of returns) scores
  100 x max(0, 1 - rate / SCORECARD_BAD_RATE_WORST[component]): pessimistic by the interval's
  upper end, optimistic by its lower end;
- corrective actions cost SCORECARD_CORRECTIVE_POINTS each, from 100, floored at 0 (the same
  both ways), and count only for a supplier that has had a factory audit;
- a component with nothing to count (no shipments due, nothing sold, no audit...) is not
  scored: None, shown as "no data", never 0 or 100.

The overall score is the mean of the scored components weighted by SCORECARD_WEIGHTS,
renormalised over those scored (a component weighted 0 counts for nothing); None when none is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from suppliers.standing import wilson

GOOD = "good"
BAD = "bad"
COUNT = "count"
CENT = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Component:
    name: str
    kind: str  # GOOD, BAD or COUNT
    n_field: str  # the Scorecard column counting the trials (COUNT: whether it is scored)
    hits_field: str  # the good (GOOD) or bad (BAD) outcomes; COUNT: the count itself
    score_field: str


COMPONENTS: tuple[Component, ...] = (
    Component("on_time", GOOD, "on_time_due", "on_time_ok", "on_time_score"),
    Component("quality", BAD, "inspected_lots", "rejected_lots", "quality_score"),
    Component("returns", BAD, "units_sold", "units_returned", "returns_score"),
    Component(
        "return_defects", BAD, "returns_inspected", "returns_defective", "return_defects_score"
    ),
    Component("lab_pass", GOOD, "lab_tests", "lab_passed", "lab_pass_score"),
    Component("corrective", COUNT, "audited", "open_corrective_actions", "corrective_score"),
)
BY_NAME = {c.name: c for c in COMPONENTS}
COMPONENT_NAMES = frozenset(BY_NAME)


def _cents(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def counts_of(component: Component, counts: Mapping[str, int] | object) -> tuple[int, int]:
    """(n, hits) of a component from a mapping of columns or a Scorecard."""
    if isinstance(counts, Mapping):
        n, hits = counts.get(component.n_field, 0), counts.get(component.hits_field, 0)
    else:
        n, hits = getattr(counts, component.n_field), getattr(counts, component.hits_field)
    return int(n), int(hits)


def interval(component: Component, n: int, hits: int) -> tuple[float, float] | None:
    """The Wilson interval of the component's rate (hits / n); None when not scored or a count.
    More hits than trials (units returned in the window from sales before it) count as all."""
    if component.kind == COUNT:
        return None
    return wilson(min(hits, n), n)


def scores(component: Component, n: int, hits: int) -> tuple[Decimal, Decimal] | None:
    """(pessimistic, optimistic) score 0-100 of one component; None: not scored."""
    if component.kind == COUNT:
        if not n:
            return None
        points = Decimal(settings.SCORECARD_CORRECTIVE_POINTS) * hits
        score = max(Decimal(0), HUNDRED - points).quantize(CENT)
        return score, score
    bounds = interval(component, n, hits)
    if bounds is None:
        return None
    low, high = bounds
    if component.kind == GOOD:
        return _cents(100 * low), _cents(100 * high)
    worst = float(settings.SCORECARD_BAD_RATE_WORST[component.name])

    def judged(rate: float) -> Decimal:
        return _cents(100 * max(0.0, 1 - rate / worst))

    return judged(high), judged(low)


def overall(
    component_scores: Mapping[str, tuple[Decimal, Decimal] | None],
) -> tuple[Decimal | None, Decimal | None]:
    """The weighted means (pessimistic, optimistic) over the scored components."""
    weights = settings.SCORECARD_WEIGHTS
    total = Decimal(0)
    low = Decimal(0)
    high = Decimal(0)
    for name, pair in component_scores.items():
        weight = Decimal(weights.get(name, 0))
        if pair is None or not weight:
            continue
        total += weight
        low += weight * pair[0]
        high += weight * pair[1]
    if not total:
        return None, None
    return (low / total).quantize(CENT, ROUND_HALF_UP), (high / total).quantize(CENT, ROUND_HALF_UP)


def weights_used(scored: set[str]) -> dict[str, Decimal]:
    """Each scored component's share of the overall score (0-1), the weights renormalised."""
    weights = settings.SCORECARD_WEIGHTS
    total = sum((Decimal(weights.get(name, 0)) for name in scored), Decimal(0))
    if not total:
        return {}
    return {name: Decimal(weights.get(name, 0)) / total for name in scored}
