"""The demo's scorecards: about 60 days of history for each trading supplier, then today's
from the data by the job itself; loading the demo again adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.formatting import suppliers_today
from scorecards.demo import HISTORY_DAYS, seed_scorecards
from suppliers.models import Scorecard
from tests.factories.suppliers import SupplierFactory

pytestmark = pytest.mark.django_db


def test_the_demo_gives_each_trading_supplier_a_history_once():
    steady, rough, poor = SupplierFactory(), SupplierFactory(), SupplierFactory()
    SupplierFactory(status="applied")
    seed_scorecards()
    today = suppliers_today()
    for supplier in (steady, rough, poor):
        days = list(Scorecard.objects.filter(supplier=supplier).values_list("day", flat=True))
        assert len(days) == HISTORY_DAYS + 1
        assert min(days) == today - timedelta(days=HISTORY_DAYS)
        assert max(days) == today
    history = Scorecard.objects.filter(day__lt=today)
    assert set(history.filter(supplier=steady).values_list("standing", flat=True)) <= {
        "good",
        "excellent",
    }
    assert "poor" in set(history.filter(supplier=poor).values_list("standing", flat=True))
    count = Scorecard.objects.count()
    seed_scorecards()
    assert Scorecard.objects.count() == count
