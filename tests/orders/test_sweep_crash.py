"""A sweep killed with SIGKILL in the middle, then restarted, ends where a clean run ends (issue
5, "Tests"): no penalty lost, none doubled, every balance debited once.

The overdue orders are made once; the database is then copied (CREATE DATABASE ... TEMPLATE).
On the copy a sweep runs cleanly; on the original a sweep with small batches is killed once it
has committed some of them, and run again. The two end states must be equal. Every order's age
is at least half an hour away from each deadline, so the minutes between the runs change
nothing that is due.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from orders.models import JitOrder
from orders.services.sweep import ADVISORY_LOCK_KEY
from tests.factories.orders import jit_listing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
H = timedelta(hours=1)
BATCH = "40"
Status = JitOrder.Status

# (hours since the order, fields): each kind owes the sweep something (or nothing) at any
# moment of the test. Shipment times are hours after the order.
KINDS: list[tuple[float, dict[str, Any]]] = [
    (30, {}),  # unshipped: late_24h, both reminders
    (60, {}),  # late_24h, late_48h
    (100, {}),  # late_24h, late_48h, stockout (0 CNY), fails as a stockout
    (20, {}),  # first reminder only
    (5, {}),  # nothing yet
    (60, {"status": Status.ACCEPTED, "scan": 30}),  # shipped late: late_24h
    (90, {"status": Status.ACCEPTED, "scan": 55}),  # late_24h, late_48h
    (40, {"status": Status.REJECTED_QUALITY, "scan": 10}),  # quality
    (40, {"status": Status.REJECTED_QUALITY, "scan": 27}),  # late_24h, quality (4x)
    (30, {"status": Status.FAILED_STOCKOUT, "stockout": 3}),  # stockout
    (50, {"status": Status.FAILED_STOCKOUT, "stockout": 26}),  # late_24h, stockout (4x)
    (50, {"status": Status.ACCEPTED, "scan": 8}),  # on time: nothing
    (50, {"status": Status.CANCELLED}),  # nothing
]
PER_KIND = 300  # 3,900 orders, 3,000 of them overdue


def _make_orders() -> None:
    """Six suppliers; two have deposits the sweep takes below the JIT minimum."""
    listings = [jit_listing(deposit="5000000.00", price=f"{10 + i}.00") for i in range(4)]
    listings += [jit_listing(deposit="6000.00", price="12.00") for _ in range(2)]
    now = timezone.now()
    orders = []
    for n in range(PER_KIND):
        for k, (hours, fields) in enumerate(KINDS):
            listing = listings[(n + k) % len(listings)]
            price = listing.supply_price_cny or Decimal("10.00")
            ordered = now - hours * H - (n % 17) * timedelta(minutes=1)
            order = JitOrder(
                listing=listing,
                supplier_id=listing.supplier_id,
                external_id=f"CRASH-{k}-{n}",
                quantity=1 + n % 3,
                unit_supply_price=price,
                goods_value=price * (1 + n % 3),
                ordered_at=ordered,
                status=fields.get("status", Status.AWAITING_SHIPMENT),
            )
            if "scan" in fields:
                order.shipment_recorded_at = ordered + fields["scan"] * H
                order.first_scan_at = order.shipment_recorded_at
                order.waybill = "SF1234567890"
            if "stockout" in fields:
                order.stockout_declared_at = ordered + fields["stockout"] * H
                order.stockout_reason = "Mould broke."
            if order.status == Status.CANCELLED:
                order.cancelled_at = ordered + H
            orders.append(order)
    JitOrder.objects.bulk_create(orders, batch_size=1000)


def _connect(name: str) -> Any:
    db = connection.settings_dict
    return psycopg2.connect(
        dbname=name,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )


def _url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{name}"


def _sweep(name: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "DATABASE_URL": _url(name),
        "SWEEP_BATCH_SIZE": BATCH,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "sweep_jit_deadlines"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> str:
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 0, output
    assert "another sweep is running" not in output, output
    return output


def _scalar(conn: Any, sql: str, *params: object) -> Any:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _state(conn: Any) -> dict[str, Any]:
    """What must come out the same: penalties per order and tier, the ledger per supplier, the
    orders' flags and statuses, the suppliers' JIT status, the events."""
    queries = {
        "penalties": """
            SELECT order_id, tier, multiple, amount, rule_version, status,
                   ledger_entry_id IS NOT NULL
            FROM orders_penalty ORDER BY order_id, tier""",
        "ledger": """
            SELECT supplier_id, kind, count(*), sum(amount) FROM suppliers_ledgerentry
            GROUP BY supplier_id, kind ORDER BY supplier_id, kind""",
        "penalty_entries": """
            SELECT p.order_id, p.tier, l.amount, l.reference_id, l.memo
            FROM orders_penalty p JOIN suppliers_ledgerentry l ON l.id = p.ledger_entry_id
            ORDER BY p.order_id, p.tier""",
        "orders": """
            SELECT id, status, late_24h_penalized, late_48h_penalized, quality_penalized,
                   stockout_penalized, penalty_total, reminded_18h_at IS NOT NULL,
                   reminded_23h_at IS NOT NULL
            FROM orders_jitorder ORDER BY id""",
        "suppliers": "SELECT id, jit_status FROM suppliers_supplier ORDER BY id",
        "events": """
            SELECT kind, supplier_id, payload::text FROM marketplace_event
            WHERE kind IN ('order.penalty_assessed', 'order.shipping_reminder')
            ORDER BY kind, supplier_id, payload::text""",
        "pauses": """
            SELECT supplier_id, count(*) FROM marketplace_event
            WHERE kind = 'supplier.jit_paused' GROUP BY supplier_id ORDER BY supplier_id""",
    }
    with conn.cursor() as cursor:
        state = {}
        for name, sql in queries.items():
            cursor.execute(sql)
            state[name] = cursor.fetchall()
    return state


@pytest.fixture
def clean_copy(overdue_orders: None) -> Iterator[str]:
    """The test database with its overdue orders, copied (the copy is dropped after)."""
    name = connection.settings_dict["NAME"]
    copy = f"{name}_clean"[:63]
    connection.close()  # CREATE DATABASE ... TEMPLATE needs the template to itself
    admin = _connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    try:
        yield copy
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def overdue_orders() -> None:
    _make_orders()


@pytest.fixture
def conn(clean_copy: str) -> Iterator[Any]:
    """A connection of our own to the test database (the sweeps run in other processes)."""
    conn = _connect(connection.settings_dict["NAME"])
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _advisory_lock_free(conn: Any) -> bool:
    if _scalar(conn, "SELECT pg_try_advisory_lock(%s)", ADVISORY_LOCK_KEY):
        _scalar(conn, "SELECT pg_advisory_unlock(%s)", ADVISORY_LOCK_KEY)
        return True
    return False


def test_a_sweep_killed_mid_run_then_restarted_ends_as_a_clean_run(clean_copy, conn, processes):
    name = connection.settings_dict["NAME"]

    # The reference: one clean sweep on the copy.
    _finish(_sweep(clean_copy))
    clean = _connect(clean_copy)
    expected = _state(clean)
    clean.close()
    penalties = len(expected["penalties"])
    assert penalties > 3000
    assert any(status == "paused" for _id, status in expected["suppliers"])

    # The same data: a sweep killed once about a third of its batches have committed.
    victim = _sweep(name)
    processes.append(victim)
    deadline = time.monotonic() + 60
    while _scalar(conn, "SELECT count(*) FROM orders_penalty") < penalties // 3:
        assert victim.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline, "too few penalties within 60 s"
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    # Its server session ends (rolling back the batch in flight) and frees the advisory lock.
    deadline = time.monotonic() + 30
    while not _advisory_lock_free(conn):
        assert time.monotonic() < deadline, "the killed sweep's session did not end"
        time.sleep(0.05)
    after_kill = _scalar(conn, "SELECT count(*) FROM orders_penalty")
    assert 0 < after_kill < penalties, "the kill came after the sweep had finished"

    # Restarted, it finishes the job: the same end state as the clean run.
    _finish(_sweep(name))
    got = _state(conn)
    for part in expected:
        assert got[part] == expected[part], part

    # And nothing is left to do: a third sweep changes nothing.
    _finish(_sweep(name))
    assert _state(conn) == expected
