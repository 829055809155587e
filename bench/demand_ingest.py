"""The storefront's demand signals through the bulk service against a COPY floor (issue 14,
"Benchmark"); run by `make bench`.

On the throwaway PostgreSQL database bench/run.py made:

1. seed N fully-managed live listings (BENCH_DEMAND_LISTINGS, default 100,000) with set-based
   SQL, and a fixed stream of N x D signals (BENCH_DEMAND_DAYS, default 180: 18M rows), one a
   listing and China day up to today, in one market: half the listings intermittent (an order
   one day in ten), 40% smooth (a Poisson rate of 2 to 20 a day), 10% smooth and trending (four
   times the rate over the last 7 days); views and add-to-carts follow the units. Each listing's
   series comes from its own seed, so every pass posts the same rows;
2. the floor: the same rows in the same batches of DEMAND_SIGNALS_MAX, each written by one
   `COPY ... FROM STDIN` (psycopg2's copy_expert) into the empty table, each batch its own
   transaction; only the COPY is timed (the text is made before the clock starts);
3. the table emptied (TRUNCATE, VACUUM), then the same rows as the storefront's JSON would
   carry them (ids and counts as numbers, days as text) through
   `restock.services.signals.signals_ingest`, batch by batch: the check, the listings looked
   up and the INSERT ... ON CONFLICT, timed (making the rows' dicts is not);
4. the first BENCH_DEMAND_REPEAT batches (default 20) posted again: each row replaced;
5. the two compared: the same number of rows and the same sums of each count.

Goal: the service within a small factor of the floor (COPY skips the conflict check, the
batch's check and the listings' lookup the service must do).
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

SEED = 20261205
MARKET = "US"
COLUMNS = "listing_id, market, day, views, add_to_carts, units_ordered, platform_units, updated_at"


def _seed(n: int) -> int:
    """N fully-managed live listings, each of its own product; returns the first listing's id
    (they are consecutive)."""
    from django.db import connection
    from django.utils import timezone

    from catalogue.models import Category
    from suppliers.models import Supplier

    now = timezone.now()
    tag = now.strftime("%y%m%d%H%M%S")
    supplier = Supplier.objects.create(
        name_zh=f"需求基准{tag}",
        name_en=f"Demand bench {tag}",
        credit_code=f"D{tag}",
        contact_name="Bench",
        status=Supplier.Status.ACTIVE,
    )
    category, _created = Category.objects.get_or_create(
        code="bench-demand", defaults={"name_en": "Demand", "name_zh": "需求"}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalogue_product (title_en, title_zh, category_id, attributes, hs_code,
                weight_g, length_cm, width_cm, height_cm, declared_value_usd, owner_id,
                created_at)
            SELECT 'Demand bench ' || %(tag)s || ' ' || i, '需求基准商品' || i, %(category)s,
                   '{}', '950300', 300, 20, 10, 5, 5, %(supplier)s, %(now)s
            FROM generate_series(0, %(n)s - 1) AS i
            """,
            {"tag": tag, "category": category.pk, "supplier": supplier.pk, "now": now, "n": n},
        )
        cursor.execute(
            """
            INSERT INTO catalogue_listing (supplier_id, product_id, mode, is_jit, status,
                status_reason, status_changed_at, paused_for_stock, supply_price_cny,
                gpsr_manufacturer, eu_responsible_person, created_at)
            SELECT p.owner_id, p.id, 'fully_managed', false, 'live', '', %(now)s, false, 10,
                   'Maker Co., Shantou, CN', 'EU Rep GmbH, Hamburg, DE', %(now)s
            FROM catalogue_product p WHERE p.owner_id = %(supplier)s ORDER BY p.id
            """,
            {"now": now, "supplier": supplier.pk},
        )
        cursor.execute(
            "SELECT min(id), max(id) FROM catalogue_listing WHERE supplier_id = %s", [supplier.pk]
        )
        first, last = cursor.fetchone()
        assert last - first + 1 == n, "the listings' ids are not consecutive"
        cursor.execute("ANALYZE catalogue_listing")
    return int(first)


def _series(listing: int, days: int) -> tuple[Any, Any, Any]:
    """One listing's units, add-to-carts and views a day (numpy arrays), from its own seed."""
    import numpy as np

    rng = np.random.default_rng(SEED + listing)
    kind = listing % 10
    if kind < 5:  # intermittent
        units = rng.binomial(1, 0.1, days) * (rng.poisson(2, days) + 1)
    else:
        rate = np.full(days, rng.uniform(2, 20))
        if kind == 9:  # trending
            rate[-7:] *= 4
        units = rng.poisson(rate)
    carts = units * 3 + rng.poisson(2, days)
    views = carts * 10 + rng.poisson(30, days)
    return units, carts, views


def _batches(first: int, n: int, days: int, size: int) -> Iterator[list[tuple]]:
    """The stream of (listing, day, views, add-to-carts, units) rows in batches of `size`,
    listing by listing, oldest day first."""
    from marketplace.formatting import suppliers_today

    today = suppliers_today()
    calendar = [today - timedelta(days=days - 1 - d) for d in range(days)]
    batch: list[tuple] = []
    for listing in range(first, first + n):
        units, carts, views = _series(listing, days)
        for d in range(days):
            batch.append((listing, calendar[d], int(views[d]), int(carts[d]), int(units[d])))
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def _copy_text(batch: list[tuple], stamp: str) -> io.StringIO:
    return io.StringIO(
        "".join(
            f"{listing}\t{MARKET}\t{day.isoformat()}\t{views}\t{carts}\t{units}\t0\t{stamp}\n"
            for listing, day, views, carts, units in batch
        )
    )


def _floor(first: int, n: int, days: int, size: int) -> tuple[float, int]:
    from django.db import connection, transaction
    from django.utils import timezone

    stamp = timezone.now().isoformat()
    seconds, rows = 0.0, 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
        for batch in _batches(first, n, days, size):
            text = _copy_text(batch, stamp)
            started = time.perf_counter()
            with transaction.atomic():
                raw.copy_expert(f"COPY restock_demandsignal ({COLUMNS}) FROM STDIN", text)
            seconds += time.perf_counter() - started
            rows += len(batch)
    return seconds, rows


def _as_posted(batch: list[tuple]) -> list[dict[str, Any]]:
    return [
        {
            "listing": listing,
            "market": MARKET,
            "day": day.isoformat(),
            "views": views,
            "add_to_carts": carts,
            "units_ordered": units,
        }
        for listing, day, views, carts, units in batch
    ]


def _service(
    first: int, n: int, days: int, size: int, limit: int | None = None
) -> tuple[float, int]:
    from restock.services.signals import signals_ingest

    seconds, applied = 0.0, 0
    for number, batch in enumerate(_batches(first, n, days, size)):
        if limit is not None and number >= limit:
            break
        rows = _as_posted(batch)
        started = time.perf_counter()
        outcome = signals_ingest(rows)
        seconds += time.perf_counter() - started
        assert not outcome.unknown
        applied += outcome.applied
    return seconds, applied


def _totals(cursor: Any) -> tuple[int, int, int, int]:
    cursor.execute(
        "SELECT count(*), sum(views), sum(add_to_carts), sum(units_ordered) "
        "FROM restock_demandsignal"
    )
    return tuple(int(value or 0) for value in cursor.fetchone())  # type: ignore[return-value]


def _reset(cursor: Any) -> None:
    from django.db import DatabaseError, transaction

    cursor.execute("TRUNCATE restock_demandsignal")
    cursor.execute("VACUUM ANALYZE restock_demandsignal")
    # Not allowed for every role: the figures are noisier then, not wrong.
    with contextlib.suppress(DatabaseError), transaction.atomic():
        cursor.execute("CHECKPOINT")


def run() -> None:
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("the demand ingest benchmark needs PostgreSQL (set DATABASE_URL)")
    n = int(os.environ.get("BENCH_DEMAND_LISTINGS", "100000"))
    days = int(os.environ.get("BENCH_DEMAND_DAYS", "180"))
    repeat = int(os.environ.get("BENCH_DEMAND_REPEAT", "20"))
    size = settings.DEMAND_SIGNALS_MAX
    started = time.perf_counter()
    first = _seed(n)
    total = n * days
    print(
        f"seeded {n:,} listings in {time.perf_counter() - started:.1f} s; {total:,} signals "
        f"({n:,} listings x {days} days) in batches of {size:,}",
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # both: no LLVM compilation of the batch statements
        _reset(cursor)
    floor_seconds, floor_rows = _floor(first, n, days, size)
    with connection.cursor() as cursor:
        floor_totals = _totals(cursor)
        _reset(cursor)
    print(
        f"floor (COPY FROM STDIN a batch)            {floor_seconds:8.1f} s   "
        f"{floor_rows / floor_seconds:,.0f} rows/s",
        flush=True,
    )
    service_seconds, applied = _service(first, n, days, size)
    with connection.cursor() as cursor:
        service_totals = _totals(cursor)
    print(
        f"signals_ingest() (check + upsert)          {service_seconds:8.1f} s   "
        f"{applied / service_seconds:,.0f} rows/s",
        flush=True,
    )
    print(
        f"ratio service / floor                      {service_seconds / floor_seconds:8.2f}",
        flush=True,
    )
    replace_seconds, replaced = _service(first, n, days, size, limit=repeat)
    with connection.cursor() as cursor:
        again = _totals(cursor)
    if replaced:
        print(
            f"the first {replaced:,} rows posted again (replace) {replace_seconds:6.1f} s   "
            f"{replaced / replace_seconds:,.0f} rows/s"
        )
    rows, views, carts, units = service_totals
    print(f"rows {rows:,}; views {views:,}, add-to-carts {carts:,}, units {units:,}")
    same = floor_totals == service_totals == again and rows == total
    print(f"the same signals as the floor: {'yes' if same else 'NO'}", flush=True)
    if not same:
        raise SystemExit(
            f"the service and the floor disagree: floor {floor_totals}, service "
            f"{service_totals}, after the repeat {again}, expected {total} rows"
        )
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE restock_demandsignal")
