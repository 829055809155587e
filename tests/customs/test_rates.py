from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from customs.models import ExchangeRate
from customs.selectors.rates import convert, rate_on
from marketplace.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates() -> None:
    ExchangeRate.objects.all().delete()
    ExchangeRate.objects.create(base="EUR", quote="USD", rate="1.10", effective_from="2026-01-01")
    ExchangeRate.objects.create(base="EUR", quote="USD", rate="1.05", effective_from="2026-07-01")
    ExchangeRate.objects.create(base="USD", quote="JPY", rate="150", effective_from="2026-01-01")


def test_the_days_rate_is_the_latest_row_on_or_before_it(rates: None) -> None:
    assert rate_on("EUR", "USD", date(2026, 6, 30)) == Decimal("1.10")
    assert rate_on("EUR", "USD", date(2026, 7, 1)) == Decimal("1.05")


def test_the_inverse_row_answers_the_opposite_pair(rates: None) -> None:
    assert convert(Decimal("10.50"), "USD", "EUR", date(2026, 7, 1)) == Decimal("10.00")
    assert convert(Decimal("9.99"), "USD", "JPY", date(2026, 7, 1)) == Decimal("1499.00")
    assert convert(Decimal("9.99"), "GBP", "GBP", date(2026, 7, 1)) == Decimal("9.99")


def test_no_row_before_the_day_is_a_clear_refusal(rates: None) -> None:
    with pytest.raises(DomainError) as refused:
        rate_on("EUR", "USD", date(2025, 12, 31))
    assert refused.value.code == "no_exchange_rate"
