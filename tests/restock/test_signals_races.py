"""Two storefront batches with rows in common at the same moment (PostgreSQL, real threads):
both succeed, no row is written twice, and each shared row ends with one batch's values whole.
The service writes rows in (listing, day, market) order whatever order they were sent in, so
the second batch waits for the first's commit instead of deadlocking."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import transaction

from restock.models import DemandSignal
from restock.services.signals import signals_ingest
from tests.concurrency import run_together, wait_until_blocked
from tests.factories.catalogue import ListingFactory

from .signals import row

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MARKETS = ("US", "EU", "UK")


def _batch(listings, views: int, days: range, seed: int) -> list[dict]:
    rows = [
        row(listing.pk, market, days_ago=d, views=views, add_to_carts=views, units_ordered=views)
        for listing in listings
        for market in MARKETS
        for d in days
    ]
    random.Random(seed).shuffle(rows)  # each storefront sends its rows in its own order
    return rows


def _values() -> dict[tuple, tuple]:
    return {
        (s.listing_id, s.market, s.day): (s.views, s.add_to_carts, s.units_ordered)
        for s in DemandSignal.objects.all()
    }


def test_two_overlapping_batches_both_succeed_with_one_value_per_row():
    listings = ListingFactory.create_batch(20)
    first_rows = _batch(listings, 1, range(1, 31), seed=1)  # days 1..30
    second_rows = _batch(listings, 2, range(16, 46), seed=2)  # days 16..45: 15 in common
    outcome = run_together(lambda: signals_ingest(first_rows), lambda: signals_ingest(second_rows))
    assert outcome.errors == []
    assert [result.applied for result in outcome.results] == [1800, 1800]
    values = _values()
    assert len(values) == DemandSignal.objects.count() == 20 * 3 * 45
    shared = {key: value for key, value in values.items() if key in _keys(first_rows)}
    assert set(shared.values()) <= {(1, 1, 1), (2, 2, 2)}
    only_second = set(values) - _keys(first_rows)
    assert {values[key] for key in only_second} == {(2, 2, 2)}


def _keys(rows) -> set[tuple]:
    from datetime import date

    return {(r["listing"], r["market"], date.fromisoformat(r["day"])) for r in rows}


def test_a_batch_waiting_on_anothers_rows_writes_after_its_commit():
    listings = ListingFactory.create_batch(5)
    first_rows = _batch(listings, 1, range(1, 11), seed=3)
    second_rows = _batch(listings, 2, range(1, 11), seed=4)
    first_written = threading.Event()

    def first() -> None:
        with transaction.atomic():
            signals_ingest(first_rows)
            first_written.set()
            wait_until_blocked(1)  # the second batch waits on these rows' commit

    def second() -> None:
        assert first_written.wait(30)
        signals_ingest(second_rows)

    outcome = run_together(first, second)
    assert outcome.errors == []
    # The second batch came after the first's commit: its values stand, every row once.
    assert set(_values().values()) == {(2, 2, 2)}
    assert DemandSignal.objects.count() == 5 * 3 * 10
