"""The day's exchange rate, from the effective-dated table operators keep (customs.ExchangeRate).
A pair is read directly, or through its inverse row when only that one exists."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from marketplace.errors import DomainError, ErrorKind
from marketplace.markets import WHOLE_UNITS

from ..models import ExchangeRate

CENT = Decimal("0.01")


def rate_on(base: str, quote: str, day: date) -> Decimal:
    """What one unit of `base` is worth in `quote` on `day`: the latest row of the pair on or
    before the day (or the inverse of the latest row of the opposite pair, whichever is
    later)."""
    if base == quote:
        return Decimal(1)
    rows = list(
        ExchangeRate.objects.filter(
            base__in=(base, quote), quote__in=(base, quote), effective_from__lte=day
        )
        .exclude(base=base, quote=base)
        .exclude(base=quote, quote=quote)
        .order_by("-effective_from", "-id")[:1]
        .values_list("base", "rate")
    )
    if not rows:
        raise DomainError(
            "no_exchange_rate",
            _("No exchange rate from %(base)s to %(quote)s on %(day)s.")
            % {"base": base, "quote": quote, "day": day.isoformat()},
            kind=ErrorKind.INVALID,
        )
    [(row_base, rate)] = rows
    return rate if row_base == base else Decimal(1) / rate


def round_money(amount: Decimal, currency: str) -> Decimal:
    """To the currency's smallest unit, half up."""
    step = Decimal(1) if currency in WHOLE_UNITS else CENT
    return amount.quantize(step, rounding=ROUND_HALF_UP).quantize(CENT)


def convert(amount: Decimal, base: str, quote: str, day: date) -> Decimal:
    """`amount` of `base` in `quote` at the day's rate, rounded to the quote's smallest unit."""
    if base == quote:
        return amount
    return round_money(amount * rate_on(base, quote, day), quote)
