"""The data migrations of existing rows: a category keeps its stored AQL only where its risk
would give another (as an override); consumer orders get the client that placed them (a reused
reference stays unattributed, so the new constraint holds); JIT orders' running totals drop the
penalties already waived."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def migrate(*targets: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    return executor.loader.project_state(list(targets)).apps


def latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_categories_keep_only_the_aqls_their_risk_would_not_give():
    from catalogue.models import Category

    old = migrate(("catalogue", "0001_initial"))
    Old = old.get_model("catalogue", "Category")
    for code, risk, aql in [
        ("toys", "high", "2.5"),
        ("gadgets", "high", "4.0"),
        ("home", "low", "4.0"),
        ("kitchen", "low", "2.5"),
    ]:
        Old.objects.create(code=code, name_en=code, name_zh=code, risk_level=risk, default_aql=aql)
    latest()
    mine = Category.objects.filter(code__in=["toys", "gadgets", "home", "kitchen"])
    got = {c.code: (c.aql_override, c.effective_aql) for c in mine}
    assert got == {
        "toys": ("", "2.5"),
        "gadgets": ("4.0", "4.0"),
        "home": ("", "4.0"),
        "kitchen": ("2.5", "2.5"),
    }


def test_orders_get_who_placed_them_and_jit_totals_drop_waived_penalties():
    from marketplace.events import record_event
    from orders.models import ConsumerOrder, JitOrder, Penalty
    from orders.services.sweep import sweep_jit_deadlines
    from tests.factories.accounts import UserFactory
    from tests.factories.logistics import WarehouseFactory, stocked_listing
    from tests.factories.orders import jit_listing, jit_order

    # Rows as the code before the backfills left them: consumer orders without their client,
    # a JIT order's total still counting a penalty waived since (the sweep assessed both, the
    # waiver is written directly). Then the schema as it was before the backfills (the columns
    # are there, no constraint yet, JIT orders had no `placed_by`), and forward again.
    listing, warehouse = stocked_listing(0), WarehouseFactory()
    shop, other = UserFactory(), UserFactory()
    made = []
    for actor, reference in [(shop, "SO-1"), (shop, "SO-1"), (shop, "SO-2"), (other, "SO-1")]:
        order = ConsumerOrder.objects.create(
            listing=listing,
            supplier_id=listing.supplier_id,
            warehouse=warehouse,
            external_id=reference,
            market="US",
            quantity=1,
            unit_supply_price=Decimal("20.00"),
        )
        record_event("consumer_order.reserved", actor=actor, subject=order)
        made.append(order)
    jit = jit_listing()
    start = timezone.now() - timedelta(hours=30)
    waived, standing = (jit_order(jit, ordered_at=start) for _ in range(2))
    record_event("order.created", actor=shop, subject=waived)
    sweep_jit_deadlines(now=start + timedelta(hours=25))
    Penalty.objects.filter(order=waived).update(status="waived")
    migrate(("orders", "0007_penalty_reversal_and_consumer_order_reference"))

    latest()

    placed = [ConsumerOrder.objects.get(pk=o.pk).placed_by_id for o in made]
    assert placed == [shop.pk, None, shop.pk, other.pk]
    assert JitOrder.objects.get(pk=waived.pk).penalty_total == 0
    assert JitOrder.objects.get(pk=standing.pk).penalty_total == standing.goods_value
    # JIT orders get who placed them from their `order.created` event; none, none.
    assert JitOrder.objects.get(pk=waived.pk).placed_by_id == shop.pk
    assert JitOrder.objects.get(pk=standing.pk).placed_by_id is None
