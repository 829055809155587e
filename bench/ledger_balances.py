"""Deposit balances: the balance is the sum of a supplier's ledger entries, never a stored
figure. How long one query takes for the balances of 10,000 suppliers over 1,000,000 entries,
one supplier's balance (what every posting computes under its lock), and postings per second
to one supplier (serialised by its row lock) and to many."""

from __future__ import annotations

import os
import time
from decimal import Decimal

from django.db import connection

# BENCH_LEDGER_ENTRIES scales it down (the suite's smoke run); 100 entries per supplier.
ENTRIES = int(os.environ.get("BENCH_LEDGER_ENTRIES", "1000000"))
SUPPLIERS = max(ENTRIES // 100, 1)


def _timed(label: str, run, repeat: int = 5) -> None:
    run()  # warm the cache and the plan
    best = min(_once(run) for _ in range(repeat))
    print(f"{label:<58} {best * 1000:9.1f} ms")


def _once(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _seed() -> None:
    from suppliers.models import Supplier

    Supplier.objects.bulk_create(
        (
            Supplier(
                name_zh=f"工厂{i}",
                name_en=f"Factory {i}",
                credit_code=f"B{i:017d}",
                contact_name="x",
                status=Supplier.Status.ACTIVE,
            )
            for i in range(SUPPLIERS)
        ),
        batch_size=5000,
    )
    if connection.vendor != "postgresql":
        raise SystemExit("the ledger benchmark needs PostgreSQL (set DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO suppliers_ledgerentry
                (supplier_id, kind, amount, currency, reference_id, memo, bank_reference, posted_at)
            SELECT s.id,
                   CASE WHEN g %% 4 = 0 THEN 'penalty' ELSE 'top_up' END,
                   CASE WHEN g %% 4 = 0 THEN -12.50 ELSE 100.00 END,
                   'CNY', '', '', 'BENCH-' || g, now() - (g || ' seconds')::interval
            FROM generate_series(1, %s) AS g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM suppliers_supplier) s
              ON s.n = g %% %s
            """,
            [ENTRIES, SUPPLIERS],
        )
        # As autovacuum would have by now: index-only scans need the visibility map.
        cursor.execute("VACUUM ANALYZE suppliers_ledgerentry")


def run() -> None:
    from suppliers.models import Supplier
    from suppliers.selectors import supplier_balance, with_balance
    from suppliers.services.ledger import ledger_penalty

    started = time.perf_counter()
    _seed()
    seconds = time.perf_counter() - started
    print(f"seeded {SUPPLIERS:,} suppliers and {ENTRIES:,} entries in {seconds:.1f} s")
    first = Supplier.objects.order_by("id").first()
    assert first is not None

    everyone = with_balance(Supplier.objects.all())
    page = with_balance(Supplier.objects.order_by("name_en"))
    _timed(
        "balances of all 10,000 suppliers (one query)",
        lambda: list(everyone.values_list("id", "balance")),  # type: ignore[misc]
    )
    _timed(
        "a page of 100 suppliers with balances (admin list)",
        lambda: list(page.values_list("id", "balance")[:100]),  # type: ignore[misc]
    )
    _timed("one supplier's balance (100 entries)", lambda: supplier_balance(first.pk), repeat=50)

    n = 200
    start = time.perf_counter()
    for _ in range(n):
        ledger_penalty(first, amount=Decimal("1.00"), actor=None, reference=None, memo="bench")
    elapsed = time.perf_counter() - start
    print(f"{'postings to one supplier (lock, balance, insert, event)':<58} {n / elapsed:9.0f} /s")
