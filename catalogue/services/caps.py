"""The stocking cap for new products (SPEC): a listing's stocking orders are capped until its
first batch has passed warehouse inspection and its return rate is within the limit."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings


def stocking_cap(
    *, first_batch_passed: bool, return_rate: Decimal | None, units_sold: int
) -> int | None:
    """The most units a stocking order may ask for, or None when uncapped.

    The return rate counts only over enough sales (RETURN_RATE_MIN_UNITS): a rate over a few
    units says little, so it neither keeps nor lifts the cap on its own."""
    cap: int = settings.STOCKING_CAP_UNITS
    if not first_batch_passed:
        return cap
    enough_sold = units_sold >= settings.RETURN_RATE_MIN_UNITS
    if enough_sold and return_rate is not None and return_rate > settings.RETURN_RATE_LIMIT:
        return cap
    return None
