"""The JIT orders' per-hour tally (JitOrderTally): what the operator dashboard's on-time chart
and late-supplier list sum instead of counting a month of orders.

An order's share is a function of its own row: it belongs to (its supplier, the UTC hour its
24 h deadline falls in), counts as due unless cancelled, and as late unless shipped (first scan,
else recorded shipment) by its deadline. So the services that change those columns (creation,
shipment, first scan, cancellation) take the share before and after the change and apply the
difference in the same transaction, as one upsert that adds to the row (concurrent changes to
one row queue on its row lock and both count; a rollback takes the delta back with the change).
The sweep changes none of them: a 72 h stockout keeps its order due and unshipped.

Whether an hour is due yet depends on the clock, not on the row: the dashboard sums the hours
that have passed and counts the current hour's orders live (`dashboard.jit_figures`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Model,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, Trunc

from .models import JitOrder, JitOrderTally
from .rules import rules

Key = tuple[int, datetime]  # (supplier id, the UTC hour of the deadline)
Share = tuple[Key, int, int]  # (key, orders, late)


def due_hour(ordered_at: datetime, ship_within: timedelta) -> datetime:
    return (ordered_at + ship_within).astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def tally_share(order: JitOrder) -> Share:
    """What one order adds to the tally, as its row stands."""
    ship_within = rules().ship_within
    key = (order.supplier_id, due_hour(order.ordered_at, ship_within))
    if order.status == JitOrder.Status.CANCELLED:
        return key, 0, 0
    shipped = order.first_scan_at or order.shipment_recorded_at
    late = shipped is None or shipped > order.ordered_at + ship_within
    return key, 1, int(late)


ADD_SQL = """
INSERT INTO orders_jitordertally (supplier_id, due_hour, orders, late) VALUES (%s, %s, %s, %s)
ON CONFLICT (due_hour, supplier_id) DO UPDATE SET
    orders = orders_jitordertally.orders + excluded.orders,
    late = orders_jitordertally.late + excluded.late
"""
# Any other change is to orders already counted, so their row exists. (An upsert cannot make
# it: the row it proposes, the change itself, would fail the table's check before the conflict
# is found.)
TAKE_SQL = """
UPDATE orders_jitordertally SET orders = orders + %s, late = late + %s
WHERE supplier_id = %s AND due_hour = %s
"""


def tally_update(before: Iterable[Share], after: Iterable[Share]) -> None:
    """Apply the change from the shares `before` to the shares `after`, row by row in key order
    (two transactions then lock the rows they share in the same order, so neither waits for
    the other in a cycle); nothing when nothing changed. Call it in the transaction that
    changes the orders."""
    deltas: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for sign, shares in ((-1, before), (1, after)):
        for key, orders, late in shares:
            deltas[key][0] += sign * orders
            deltas[key][1] += sign * late
    with connection.cursor() as cursor:
        for (supplier_id, hour), (orders, late) in sorted(deltas.items()):
            if orders >= late >= 0:
                if orders:
                    cursor.execute(ADD_SQL, [supplier_id, hour, orders, late])
                continue
            cursor.execute(TAKE_SQL, [orders, late, supplier_id, hour])
            if cursor.rowcount != 1:
                raise IntegrityError(
                    f"JIT tally: no row for supplier {supplier_id} at {hour} to take from"
                )


def tally_rows(order_model: type[Model], ship_within: timedelta) -> QuerySet[Any]:
    """The tally recounted from the orders: (supplier_id, due_hour, orders, late) per row, in
    the column order of the table (a model argument, so a migration can pass its own)."""
    deadline = ExpressionWrapper(F("ordered_at") + ship_within, output_field=DateTimeField())
    shipped = Coalesce("first_scan_at", "shipment_recorded_at")
    counted = ~Q(status=JitOrder.Status.CANCELLED)
    return (
        order_model._default_manager.order_by()
        .annotate(hour=Trunc(deadline, "hour", tzinfo=UTC), shipped=shipped)
        .values("supplier_id", "hour")
        .annotate(
            orders=Count("id", filter=counted),
            late=Count(
                "id",
                filter=counted
                & (Q(shipped__isnull=True) | Q(shipped__gt=F("ordered_at") + ship_within)),
            ),
        )
    )


def tally_recount() -> dict[Key, tuple[int, int]]:
    """The tally as the orders say it should be (rows with nothing in them left out)."""
    return {
        (row["supplier_id"], row["hour"]): (row["orders"], row["late"])
        for row in tally_rows(JitOrder, rules().ship_within)
        if row["orders"] or row["late"]
    }


def tally_stored() -> dict[Key, tuple[int, int]]:
    return {
        (supplier_id, hour): (orders, late)
        for supplier_id, hour, orders, late in JitOrderTally.objects.values_list(
            "supplier_id", "due_hour", "orders", "late"
        )
        if orders or late
    }


def tally_rebuild(
    order_model: type[Model] = JitOrder, tally_model: type[Model] = JitOrderTally
) -> None:
    """Recount the whole tally from the orders, in one transaction: after a bulk load that went
    around the services (seed_bench), or a change of the ship-within rule. The table lock waits
    for the transactions that already changed the tally and holds back new changes until the
    recount commits, so none is lost or counted twice."""
    table = tally_model._meta.db_table
    sql, params = tally_rows(order_model, rules().ship_within).query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a table name of ours)
        cursor.execute(
            f"INSERT INTO {table} (supplier_id, due_hour, orders, late) {sql}",
            params,
        )
