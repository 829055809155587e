"""The scorecard's statistics and standings (SPEC, "Scorecard"), as pure functions: the apps that
read a standing (tenders, stocking caps, compliance sampling, restock) and the job that computes
scorecards (scorecards/) share them.

Fair by construction:
- a rate over no activity is not scored (None, "no data"), neither 0 nor 100;
- each rate is an interval, Wilson's at SCORECARD_CONFIDENCE: `score` judges a good rate by the
  interval's lower bound and a bad rate by its upper bound (the pessimistic end, so a high score
  must be earned with evidence); `score_high` by the other end;
- the standing (`standing_for`) is the band of `score` when that reaches "good" or better;
  below that, the supplier is put in a poor band only when even `score_high` is below "good"
  (the evidence shows it), and then in the band of `score_high`; otherwise it stands "good".
  One bad unit out of three gives a pessimistic score far below "good" but an optimistic one
  above it: such a new supplier stands "good", not "very poor".
"""

from __future__ import annotations

import math
from decimal import Decimal
from statistics import NormalDist

from django.conf import settings

from .models import Standing

HUNDRED = Decimal("100")


def z_for(confidence: Decimal) -> float:
    """The two-sided normal quantile: 1.96 at 95%."""
    return NormalDist().inv_cdf(0.5 + float(confidence) / 2)


def wilson(hits: int, n: int, confidence: Decimal | None = None) -> tuple[float, float] | None:
    """Wilson's score interval for `hits` out of `n` (None when n is 0: no data)."""
    if n <= 0:
        return None
    z = z_for(settings.SCORECARD_CONFIDENCE if confidence is None else confidence)
    p = hits / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def band_of(score: Decimal) -> str:
    """The standing band (SCORECARD_STANDINGS) a score 0-100 falls in: a band holds its lower
    bound; the last one also holds its upper bound."""
    bands = settings.SCORECARD_STANDINGS
    for name, low, high in bands:
        if low <= score < high:
            return str(name)
    last_name, _low, last_high = bands[-1]
    if score == last_high:
        return str(last_name)
    raise ValueError(f"score {score} is outside the standings' bands")


def good_floor() -> Decimal:
    """The lowest score of the "good" band."""
    for name, low, _high in settings.SCORECARD_STANDINGS:
        if name == Standing.GOOD:
            return Decimal(low)
    raise ValueError("SCORECARD_STANDINGS has no 'good' band")


def standing_for(score: Decimal | None, score_high: Decimal | None) -> str:
    """The standing from the pessimistic and optimistic overall scores (None: nothing scored,
    a new supplier)."""
    if score is None:
        return Standing.NEW.value
    if score >= good_floor():
        return band_of(score)
    high = score if score_high is None else score_high
    if high < good_floor():
        return band_of(high)
    return Standing.GOOD.value


def check_bands(bands: list[tuple[str, Decimal, Decimal]]) -> list[str]:
    """What is wrong with a SCORECARD_STANDINGS value (empty: nothing): the bands must run from 0
    to 100 in order, each starting where the one before ends, and name each standing but "new"
    once."""
    problems = []
    names = [name for name, _l, _h in bands]
    expected = {s.value for s in Standing} - {Standing.NEW.value}
    if sorted(names) != sorted(expected):
        problems.append(f"the bands must name {sorted(expected)} once each, not {names}")
    if not bands or Decimal(bands[0][1]) != 0 or Decimal(bands[-1][2]) != HUNDRED:
        problems.append("the bands must run from 0 to 100")
    for (name, low, high), nxt in zip(bands, [*bands[1:], None], strict=True):
        if not Decimal(low) < Decimal(high):
            problems.append(f"band {name}: its lower bound must be below its upper bound")
        if nxt is not None and Decimal(nxt[1]) != Decimal(high):
            problems.append(f"band {nxt[0]} must start where {name} ends ({high})")
    return problems
