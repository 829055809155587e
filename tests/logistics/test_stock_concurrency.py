"""The stock ledger under parallel transactions on PostgreSQL (issue 6, "The stock ledger"):
available never goes below zero when many orders arrive at once for the last units, and the
positions stay the sums of their movements.

Each thread has its own connection (Django's are per thread) and closes it at its end; the data
is committed before the threads start (transactional test case, no wrapping transaction).
"""

from __future__ import annotations

import contextlib
import random
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from logistics.models import OverstockOffer, StockLot, StockMovement, StockPosition
from logistics.services.overstock import offer_overstock, overstock_take_back
from logistics.services.stock import stock_release, stock_reserve, stock_sell
from marketplace.errors import DomainError
from orders.services.consumer import consumer_order_create, consumer_order_fulfil
from tests.concurrency import in_threads
from tests.factories.accounts import UserFactory
from tests.factories.logistics import (
    WarehouseFactory,
    member_of,
    position_of,
    receive_stock,
    stocked_listing,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _ledger_sums(position: StockPosition) -> tuple[int, int, int]:
    sums = StockMovement.objects.filter(position=position).aggregate(
        total_on_hand=Sum("on_hand"),
        total_available=Sum("available"),
        total_sold=Sum("on_hand", filter=Q(kind=StockMovement.Kind.SALE)),
    )
    return (
        sums["total_on_hand"] or 0,
        sums["total_available"] or 0,
        -(sums["total_sold"] or 0),
    )


def _assert_positions_equal_the_ledger(listing_id: int) -> list[StockPosition]:
    positions = list(StockPosition.objects.filter(listing_id=listing_id).order_by("pk"))
    for position in positions:
        assert (position.on_hand, position.available, position.sold) == _ledger_sums(position)
        assert 0 <= position.available <= position.on_hand
    return positions


def test_eight_orders_for_the_last_five_units_five_win():
    listing = stocked_listing(5)

    errors = in_threads(8, lambda i: stock_reserve(listing, 1, reference=f"order-{i}", actor=None))

    assert len(errors) == 3, errors
    assert all(isinstance(e, DomainError) and e.code == "out_of_stock" for e in errors), errors
    (position,) = _assert_positions_equal_the_ledger(listing.pk)
    assert (position.available, position.on_hand) == (0, 5)
    reservations = StockMovement.objects.filter(position=position, kind="reservation")
    assert reservations.count() == 5
    assert all(m.available == -1 and m.on_hand == 0 for m in reservations)
    assert len({m.reference for m in reservations}) == 5


@dataclass
class _Worker:
    reserved: list[tuple[str, int, int]] = field(default_factory=list)  # (ref, position, qty)
    refused: list[str] = field(default_factory=list)
    released: int = 0
    sold: int = 0


def test_reservations_releases_and_sales_in_parallel_keep_the_ledger_exact():
    first, second = WarehouseFactory(), WarehouseFactory()
    listing = stocked_listing(25, warehouse=first)
    receive_stock(listing, 15, warehouse=second)
    workers = [_Worker() for _ in range(8)]
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def watch() -> None:
        # Reads while the workers write: no committed state is ever out of bounds.
        try:
            while not stop.is_set():
                seen.extend(
                    StockPosition.objects.filter(listing=listing).values_list(
                        "available", "on_hand"
                    )
                )
        finally:
            connections.close_all()

    def work(index: int) -> None:
        me, rng = workers[index], random.Random(index)
        for n in range(12):
            quantity = rng.randint(1, 3)
            reference = f"R-{index}-{n}"
            try:
                position = stock_reserve(listing, quantity, reference=reference, actor=None)
            except DomainError as refused:
                if refused.code != "out_of_stock":
                    raise
                me.refused.append(reference)
                continue
            me.reserved.append((reference, position.pk, quantity))
            then = rng.choice(("release", "sell", "keep"))
            if then == "keep":
                continue
            with transaction.atomic():
                locked = StockPosition.objects.select_for_update().get(pk=position.pk)
                if then == "release":
                    stock_release(locked, quantity, reference=f"L-{reference}", actor=None)
                    me.released += quantity
                else:
                    stock_sell(locked, quantity, reference=f"S-{reference}", actor=None)
                    me.sold += quantity

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        errors = in_threads(8, work)
    finally:
        stop.set()
        watcher.join()

    assert errors == []
    assert seen
    assert all(0 <= available <= on_hand for available, on_hand in seen)
    reserved = [r for w in workers for r in w.reserved]
    refused = [r for w in workers for r in w.refused]
    assert reserved
    assert refused  # the stock ran out
    assert len(reserved) + len(refused) == 8 * 12

    positions = _assert_positions_equal_the_ledger(listing.pk)
    assert len(positions) == 2
    movements = StockMovement.objects.filter(position__listing=listing)
    by_reference = {m.reference: m for m in movements.filter(kind="reservation")}
    assert movements.filter(kind="reservation").count() == len(by_reference) == len(reserved)
    for reference, position_pk, quantity in reserved:
        movement = by_reference[reference]
        assert (movement.position_id, movement.available, movement.on_hand) == (
            position_pk,
            -quantity,
            0,
        )
    assert not movements.filter(reference__in=refused).exists()

    released = sum(w.released for w in workers)
    sold = sum(w.sold for w in workers)
    taken = sum(quantity for _r, _p, quantity in reserved)
    assert sum(p.available for p in positions) == 40 - taken + released
    assert sum(p.on_hand for p in positions) == 40 - sold
    assert sum(p.sold for p in positions) == sold


def test_a_take_back_and_a_fulfilment_at_once_do_not_deadlock():
    """Both lock the position and the lot: in parallel each finishes (or is refused), and
    PostgreSQL never has to break a deadlock between them."""
    hub = WarehouseFactory()
    listing = stocked_listing(10, warehouse=hub)
    lot = StockLot.objects.get(position__listing=listing)
    StockLot.objects.filter(pk=lot.pk).update(received_at=timezone.now() - timedelta(days=100))
    offer_overstock()
    offer = OverstockOffer.objects.get(lot=lot)
    member = member_of(listing)
    order = consumer_order_create(
        listing_id=listing.pk, quantity=2, external_id="X", market="US", actor=UserFactory()
    )
    acts = [
        lambda: overstock_take_back(offer, actor=member),
        lambda: consumer_order_fulfil(order, actor=None),
    ]

    def work(index: int) -> None:
        with contextlib.suppress(DomainError):
            acts[index]()

    assert in_threads(2, work) == []  # a deadlock would be an error here
    lot.refresh_from_db()
    assert position_of(listing).on_hand == lot.remaining  # what is left is the lot's
