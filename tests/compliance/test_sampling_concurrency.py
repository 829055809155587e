"""Sampling under parallel transactions on PostgreSQL: two workers drawing the same day make one
draw, and two officers pulling the same request's units move the stock once. Everything is
committed before the threads start (transactional test case)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from compliance.models import SamplingDraw, SamplingRequest
from logistics.models import StockMovement, StockPosition
from logistics.services.test_purchases import sampling_draw, sampling_units_pull
from tests.concurrency import run_together
from tests.factories.logistics import operator, stocked_listing

from .sampling_helpers import category_with_lab_test, live_listing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_drawing_the_same_day_make_one_draw(settings):
    settings.SAMPLING_MONTHLY_BUDGET_CNY = Decimal("100000.00")
    category, _ = category_with_lab_test()
    for _ in range(4):
        live_listing(category)
    day = date(2026, 12, 31)

    outcome = run_together(
        lambda: sampling_draw(on=day, seed=1).pk, lambda: sampling_draw(on=day, seed=2).pk
    )

    assert not outcome.errors, outcome.errors
    [draw] = SamplingDraw.objects.all()
    assert outcome.results == [draw.pk, draw.pk]
    assert SamplingRequest.objects.count() == 4


def test_two_officers_pulling_the_same_units_move_the_stock_once():
    listing = stocked_listing(5)
    request = SamplingRequest.objects.create(
        listing=listing, supplier=listing.supplier, weight=1, cost_cny=100, units=2
    )
    first, second = operator(), operator()

    outcome = run_together(
        lambda: sampling_units_pull(request, actor=first).status,
        lambda: sampling_units_pull(request, actor=second).status,
    )

    assert not outcome.errors, outcome.errors
    assert outcome.results == ["units_pulled", "units_pulled"]
    assert StockMovement.objects.filter(kind=StockMovement.Kind.SAMPLE).count() == 1
    assert StockPosition.objects.get(listing=listing).on_hand == 3
