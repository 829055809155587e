"""The stocking cap for new products (SPEC): a listing's stocking orders are capped until its
first batch has passed warehouse inspection and its return rate is within the limit, and while
its supplier stands poor or very poor (SPEC, "Scorecard")."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from suppliers.models import Standing

# Standings whose suppliers' listings stay at STOCKING_CAP_UNITS whatever their own record.
CAPPED_STANDINGS = frozenset({Standing.POOR.value, Standing.VERY_POOR.value})


def stocking_cap(
    *,
    first_batch_passed: bool,
    return_rate: Decimal | None,
    units_sold: int,
    standing: str = Standing.NEW.value,
) -> int | None:
    """The most units a stocking order may ask for, or None when uncapped. `standing` is the
    supplier's (suppliers.selectors.standings_of; a supplier with no scorecard is new).

    The return rate counts only over enough sales (RETURN_RATE_MIN_UNITS): a rate over a few
    units says little, so it neither keeps nor lifts the cap on its own."""
    cap: int = settings.STOCKING_CAP_UNITS
    if standing in CAPPED_STANDINGS or not first_batch_passed:
        return cap
    enough_sold = units_sold >= settings.RETURN_RATE_MIN_UNITS
    if enough_sold and return_rate is not None and return_rate > settings.RETURN_RATE_LIMIT:
        return cap
    return None
