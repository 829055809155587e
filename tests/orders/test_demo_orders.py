"""seed_demo's JIT orders reach each reminder and penalty deadline minutes after seeding, so the
sweep (every minute under `make run`) shows them happen; seeding again tops the set up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from orders.demo import PREFIX, deadlines, seed_jit_orders
from orders.models import JitOrder, Penalty
from orders.services.sweep import sweep_jit_deadlines
from tests.factories.accounts import UserFactory
from tests.factories.orders import jit_listing

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 5, 4, 10, 0, 7, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _state(order: JitOrder) -> tuple[bool, bool, bool, bool]:
    order.refresh_from_db()
    return (
        order.reminded_18h_at is not None,
        order.reminded_23h_at is not None,
        order.late_24h_penalized,
        order.late_48h_penalized,
    )


def test_each_deadline_is_crossed_one_to_five_minutes_after_seeding():
    listing = jit_listing()
    actor = UserFactory()
    with time_machine.travel(T0, tick=False) as clock:
        made = seed_jit_orders(actor=actor)
        assert len(made) == 4
        by_label = {o.external_id.removeprefix(PREFIX).rsplit("-", 1)[0]: o for o in made}
        assert list(by_label) == [label for label, _age in deadlines()]
        ages = dict(deadlines())
        for label, order in by_label.items():
            assert order.listing == listing
            crossing = order.ordered_at + ages[label] - T0
            assert MINUTE <= crossing <= 5 * MINUTE, (label, crossing)

        # Each order's own deadline (index) is not reached at seeding, and is by 5 minutes on,
        # with the sweep running every minute as beat runs it.
        watched = {label: index for index, label in enumerate(by_label)}
        sweep_jit_deadlines()
        for label, order in by_label.items():
            assert not _state(order)[watched[label]], label
        for _ in range(5):
            clock.shift(MINUTE)
            sweep_jit_deadlines()
        for label, order in by_label.items():
            assert _state(order)[watched[label]], label

    penalties = Penalty.objects.filter(order__in=made)
    assert set(penalties.values_list("tier", flat=True)) == {"late_24h", "late_48h"}


def test_seeding_again_tops_the_set_up_instead_of_piling_on():
    jit_listing()
    actor = UserFactory()
    with time_machine.travel(T0, tick=False) as clock:
        assert len(seed_jit_orders(actor=actor)) == 4
        clock.shift(timedelta(seconds=50))
        assert seed_jit_orders(actor=actor) == []  # all four still about to cross
        clock.shift(timedelta(minutes=10))
        fresh = seed_jit_orders(actor=actor)  # the first set has crossed: a new one
        assert len(fresh) == 4
        ages = [age for _label, age in deadlines()]
        crossings = [
            o.ordered_at + age - timezone.now() for o, age in zip(fresh, ages, strict=True)
        ]
        assert all(MINUTE <= crossing <= 5 * MINUTE for crossing in crossings)
    assert JitOrder.objects.filter(external_id__startswith=PREFIX).count() == 8


def test_no_orders_while_the_supplier_takes_no_jit_orders():
    listing = jit_listing()
    listing.supplier.jit_status = "paused"
    listing.supplier.save()
    assert seed_jit_orders(actor=UserFactory()) == []
