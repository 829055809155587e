"""The consignment stock ledger at scale (issue 6, "Doors, tests, figures"); run by `make bench`.

On the throwaway test database bench/run.py made, set-based SQL seeds BENCH_STOCK_MOVEMENTS
(default 10,000,000) stock movements over 100,000 listings (fewer, one per hundred movements,
when scaled down) of 1,000 suppliers, each listing in three of four warehouses: receipts of 100
units every tenth movement (each a FIFO lot), reservations of 1-2 units, and each reservation
followed by its sale (or, one in eight, its release). One supplier holds a tenth of the listings.
The positions are then set to the sums of their movements, and the lots' remaining units to what
FIFO leaves after the sales.

Then, through the project's own selectors and services:

1. a page of 100 stock positions as each door reads it (stock_positions_visible_to, with the
   door's ordering): the portal's (a supplier with many listings, by listing, first page
   and page 101), the API's (cursor pages by listing and warehouse, for the supplier and for
   staff over all) and the admin's (staff, the model's ordering, first page and page 101);
   p50/p95 over 50 runs, goal < 50 ms;
2. a reservation on a hot listing, stock_reserve in its own transaction through its commit (and
   the auto pause/resume hook after it): p50/p95 over 200 runs, goal < 10 ms;
3. 8 clients (threads, each with its own connection) reserving 1 unit at a time of a listing
   with 100 available over two warehouses until refused: exactly 100 must be reserved, none
   oversold; throughput and latency.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

MOVEMENTS = int(os.environ.get("BENCH_STOCK_MOVEMENTS", "10000000"))
# BENCH_PAGE_RUNS scales the timed runs down (the suite's smoke run).
PAGE_RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "50"))
LISTINGS = max(1_000, min(100_000, MOVEMENTS // 100))
SUPPLIERS = 1_000
BIG = LISTINGS // 10  # listings of supplier 0, the one the supplier user belongs to
WAREHOUSES = 4  # each listing sits in three of them
POSITIONS = 3 * LISTINGS
PER_POSITION = MOVEMENTS // POSITIONS  # movements per position (the first M % P get one more)
CHUNK = 1_000_000
PAGE = 100
# The portal's and the admin's page 101 (10,000 rows skipped), or two thirds in when scaled down.
DEEP_PAGE = max(2, min(101, BIG * 3 // PAGE * 2 // 3))
CLIENTS = 8
LAST_UNITS = 100

# Movement g of position pn = g % P is its i-th, i = g / P (so one position's history is spread
# over the table, as time interleaves them). Every tenth (i % 10 = 0) is a receipt of 100 units
# (a lot); an odd i reserves q = 1 or 2 units; the even i after it sells them, or one time in
# eight releases them. The last reservation of a position may stay open (reserved units).
MOVEMENTS_SQL = """
WITH m AS (
    SELECT g, g %% %(p)s AS pn, g / %(p)s AS i FROM generate_series(%(lo)s::bigint, %(hi)s) g
    OFFSET 0
),
k AS (
    SELECT m.*,
        CASE WHEN i %% 10 = 0 THEN 'receipt'
             WHEN i %% 2 = 1 THEN 'reservation'
             WHEN hashint8extended(pn * 64 + i, 12) & 7 = 0 THEN 'release'
             ELSE 'sale' END AS kind,
        1 + (hashint8extended(pn * 64 + i - 1 + i %% 2, 11) & 1)::int AS q,
        (pn / 3)::int AS n
    FROM m
    OFFSET 0
)
INSERT INTO logistics_stockmovement
    (position_id, kind, owner_id, on_hand, available, reference, occurred_at, actor_id)
SELECT %(pos_base)s + 1 + pn, kind,
       CASE WHEN kind = 'sale' THEN NULL ELSE supplier_id END,
       CASE kind WHEN 'receipt' THEN 100 WHEN 'sale' THEN -q ELSE 0 END,
       CASE kind WHEN 'receipt' THEN 100 WHEN 'reservation' THEN -q
                 WHEN 'release' THEN q ELSE 0 END,
       CASE kind WHEN 'receipt' THEN 'inspection:' || (pn * 64 + i)
                 WHEN 'reservation' THEN 'storefront:B' || g
                 ELSE 'consumer_order:' || (g - %(p)s) END,
       %(t0)s::timestamptz + i * interval '3 days' + (pn %% 86400) * interval '1 second',
       NULL
FROM (
    SELECT k.*, (%(supplier_ids)s::int[])[
        1 + CASE WHEN n < %(big)s THEN 0 ELSE 1 + (n - %(big)s) %% (%(suppliers)s - 1) END
    ] AS supplier_id
    FROM k
) s
"""

SUMS_SQL = """
UPDATE logistics_stockposition p
SET on_hand = s.on_hand, available = s.available, sold = s.sold, updated_at = s.at
FROM (
    SELECT position_id, sum(on_hand) AS on_hand, sum(available) AS available,
           coalesce(-sum(on_hand) FILTER (WHERE kind = 'sale'), 0) AS sold,
           max(occurred_at) AS at
    FROM logistics_stockmovement GROUP BY position_id
) s
WHERE p.id = s.position_id
"""

# One lot per receipt (block j of ten movements); FIFO: the sales came out of the oldest first.
LOTS_SQL = """
INSERT INTO logistics_stocklot (position_id, inspection_id, received_at, quantity, remaining)
SELECT p.id, NULL,
       %(t0)s::timestamptz + j * interval '30 days'
           + ((p.id - %(pos_base)s - 1) %% 86400) * interval '1 second',
       100, greatest(0, least(100, 100 * (j + 1) - p.sold))
FROM logistics_stockposition p
CROSS JOIN generate_series(0, %(blocks)s) j
WHERE p.id > %(pos_base)s
  AND j * 10 < %(per)s + CASE WHEN p.id - %(pos_base)s - 1 < %(extra)s THEN 1 ELSE 0 END
"""


def _step(label: str, run: Callable[[], Any]) -> None:
    started = time.perf_counter()
    run()
    print(f"  {label:<56} {time.perf_counter() - started:7.1f} s", flush=True)


def _base(cursor: Any, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
    return int(cursor.fetchone()[0])


def _setval(cursor: Any, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
    )


class Seeded:
    pos_base = 0
    list_base = 0
    supplier_ids: list[int]


def _unindexed(cursor: Any, table: str) -> Callable[[], None]:
    """Drop a table's secondary indexes and foreign keys for a bulk load (PostgreSQL's advice,
    "Populating a Database"); the function returned puts them back exactly as they were, the
    foreign keys checked over the whole table at once rather than row by row."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    keys = cursor.fetchall()
    for name, _definition in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')

    def restore() -> None:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("RESET maintenance_work_mem")

    return restore


def _seed() -> Seeded:
    from accounts.models import User
    from catalogue.models import Category
    from logistics.models import Warehouse
    from suppliers.models import Membership, Supplier

    seeded = Seeded()
    now = timezone.now()
    t0 = now - timedelta(days=3 * (PER_POSITION + 1) + 2)
    cursor = connection.cursor()

    def people() -> None:
        suppliers = Supplier.objects.bulk_create(
            Supplier(
                name_zh=f"库存工厂{i}",
                name_en=f"Stock factory {i}",
                credit_code=f"S{i:017d}",
                contact_name="Bench",
                status=Supplier.Status.ACTIVE,
            )
            for i in range(SUPPLIERS)
        )
        seeded.supplier_ids = [supplier.pk for supplier in suppliers]
        cursor.execute("CREATE TEMPORARY TABLE bench_supplier (n int PRIMARY KEY, id int)")
        cursor.executemany(
            "INSERT INTO bench_supplier VALUES (%s, %s)",
            [(i, s.pk) for i, s in enumerate(suppliers)],
        )
        Warehouse.objects.bulk_create(
            Warehouse(
                code=f"bench-{w}",
                name=f"Bench warehouse {w}",
                kind=Warehouse.Kind.HUB if w < 2 else Warehouse.Kind.OVERSEAS,
                address="1 Bench Road",
            )
            for w in range(WAREHOUSES)
        )
        Category.objects.get_or_create(
            code="bench-stock",
            defaults={
                "name_en": "Stock (bench)",
                "name_zh": "库存",
                "risk_level": Category.Risk.LOW,
                "aql_override": Category.Aql.AQL_2_5,
            },
        )
        member = User.objects.create_user("stock-bench-supplier")
        Membership.objects.create(user=member, supplier=suppliers[0], role="owner")
        User.objects.create_superuser("stock-bench-staff", is_staff=True)

    def listings() -> None:
        from catalogue.models import Category

        category = Category.objects.get(code="bench-stock")
        product_base = _base(cursor, "catalogue_product")
        seeded.list_base = _base(cursor, "catalogue_listing")
        owner = (
            "(SELECT id FROM bench_supplier WHERE bench_supplier.n = CASE WHEN g < %(big)s "
            "THEN 0 ELSE 1 + (g - %(big)s) %% (%(suppliers)s - 1) END)"
        )
        params: dict[str, Any] = {
            "n": LISTINGS,
            "big": BIG,
            "suppliers": SUPPLIERS,
            "category": category.pk,
            "product_base": product_base,
            "list_base": seeded.list_base,
            "now": now,
        }
        cursor.execute(
            f"""
            INSERT INTO catalogue_product (id, title_en, title_zh, category_id, attributes,
                hs_code, weight_g, length_cm, width_cm, height_cm, declared_value_usd,
                reference_price_cny, owner_id, created_at)
            SELECT %(product_base)s + 1 + g,
                   'Bench toy ' || md5(g::text), '基准玩具' || g, %(category)s, '{{}}',
                   '950300', 300, 20.0, 10.0, 5.0, 5.00, NULL, {owner},
                   %(now)s::timestamptz - (%(n)s - g) * interval '1 minute'
            FROM generate_series(0, %(n)s - 1) g
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO catalogue_listing (id, supplier_id, product_id, mode, is_jit, status,
                status_reason, status_changed_at, paused_for_stock, supply_price_cny,
                first_batch_accepted_at, created_at)
            SELECT %(list_base)s + 1 + g, {owner}, %(product_base)s + 1 + g, 'fully_managed',
                   false, 'live', '', %(now)s, false, 10 + g %% 90, %(now)s,
                   %(now)s::timestamptz - (%(n)s - g) * interval '1 minute'
            FROM generate_series(0, %(n)s - 1) g
            """,
            params,
        )
        _setval(cursor, "catalogue_product")
        _setval(cursor, "catalogue_listing")

    def positions() -> None:
        seeded.pos_base = _base(cursor, "logistics_stockposition")
        cursor.execute(
            """
            INSERT INTO logistics_stockposition (id, listing_id, warehouse_id, supplier_id,
                on_hand, available, sold, updated_at)
            SELECT %(pos_base)s + 1 + g * 3 + CASE WHEN w.n > g %% 4 THEN w.n - 1 ELSE w.n END,
                   %(list_base)s + 1 + g, w.id, l.supplier_id, 0, 0, 0, %(now)s
            FROM generate_series(0, %(n)s - 1) g
            JOIN catalogue_listing l ON l.id = %(list_base)s + 1 + g
            CROSS JOIN (SELECT id, row_number() OVER (ORDER BY code) - 1 AS n
                        FROM logistics_warehouse WHERE code LIKE 'bench-%%') w
            WHERE w.n <> g %% 4
            """,
            {"pos_base": seeded.pos_base, "list_base": seeded.list_base, "n": LISTINGS, "now": now},
        )
        _setval(cursor, "logistics_stockposition")

    def movements(lo: int, hi: int) -> Callable[[], None]:
        def insert() -> None:
            cursor.execute(
                MOVEMENTS_SQL,
                {
                    "lo": lo,
                    "hi": hi,
                    "p": POSITIONS,
                    "pos_base": seeded.pos_base,
                    "t0": t0,
                    "big": BIG,
                    "suppliers": SUPPLIERS,
                    "supplier_ids": seeded.supplier_ids,
                },
            )

        return insert

    def sums() -> None:
        with transaction.atomic():
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(SUMS_SQL)

    def lots() -> None:
        cursor.execute(
            LOTS_SQL,
            {
                "t0": t0,
                "pos_base": seeded.pos_base,
                "blocks": PER_POSITION // 10 + 1,
                "per": PER_POSITION,
                "extra": MOVEMENTS % POSITIONS,
            },
        )

    def analyze() -> None:
        # As autovacuum would have by now: statistics, and the visibility map of the tables
        # the pages read (the ledger itself is only appended to and summed here).
        for table in (
            "logistics_stockposition",
            "logistics_stocklot",
            "catalogue_listing",
            "catalogue_product",
            "suppliers_supplier",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("ANALYZE logistics_stockmovement")

    print(
        f"seeding {MOVEMENTS:,} movements over {LISTINGS:,} listings ({POSITIONS:,} positions in "
        f"{WAREHOUSES} warehouses, {SUPPLIERS:,} suppliers; the bench supplier has {BIG:,} "
        "listings):",
        flush=True,
    )
    _step(f"{SUPPLIERS:,} suppliers, {WAREHOUSES} warehouses, 2 users", people)
    _step(f"{LISTINGS:,} products and listings", listings)
    _step(f"{POSITIONS:,} positions", positions)
    restore: list[Callable[[], None]] = []
    _step(
        "movement indexes and foreign keys set aside for the load",
        lambda: restore.append(_unindexed(cursor, "logistics_stockmovement")),
    )
    for lo in range(0, MOVEMENTS, CHUNK):
        hi = min(MOVEMENTS, lo + CHUNK) - 1
        _step(f"movements {lo + 1:>10,} to {hi + 1:>10,}", movements(lo, hi))
    _step("movement indexes rebuilt, foreign keys checked", restore[0])
    _step("positions set to the sums of their movements", sums)
    _step("lots (one per receipt, FIFO remaining)", lots)
    _step("vacuum analyze", analyze)
    cursor.execute("DROP TABLE bench_supplier")
    cursor.close()
    return seeded


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000


def _line(label: str, samples: list[float], goal_ms: float) -> bool:
    p50, p95 = _pct(samples, 0.50), _pct(samples, 0.95)
    ok = p95 < goal_ms
    print(
        f"{label:<52} {p50:7.1f} {p95:7.1f} ms  {'ok' if ok else 'MISSED'} (< {goal_ms:g})",
        flush=True,
    )
    return ok


def _timed(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm the cache and the plan
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return samples


def _show(page: QuerySet[Any]) -> int:
    """Fetch a page and touch what a door shows of each row."""
    rows = [
        (p.listing.product.title_en, p.warehouse.name, p.on_hand, p.available, p.reserved, p.sold)
        for p in page
        if p.oldest_received_at is not None
    ]
    assert 0 < len(rows) <= PAGE, len(rows)  # a full page, but for the last pages of a small run
    return len(rows)


def _fresh(page: QuerySet[Any]) -> int:
    return _show(page.all())  # a fresh queryset each run: nothing cached


def _keys_first(queryset: QuerySet[Any], number: int, total: int) -> int:
    """A page as the portal and the admin read it: marketplace.paginator.KeysFirstPaginator
    (the keys of the page, then its rows). The count, which both doors also run once per
    page, is given, so the figure is the page's read like the others."""
    from marketplace.paginator import KeysFirstPaginator

    paginator = KeysFirstPaginator(queryset.all(), PAGE)
    paginator.__dict__["count"] = total
    return _show(paginator.page(number).object_list)  # type: ignore[arg-type]


def _pages(seeded: Seeded) -> bool:
    from accounts.models import User
    from logistics.selectors import stock_positions_visible_to

    supplier = User.objects.select_related("supplier_membership").get(
        username="stock-bench-supplier"
    )
    staff = User.objects.get(username="stock-bench-staff")
    mine = stock_positions_visible_to(supplier)
    everything = stock_positions_visible_to(staff)
    # The API's cursor pages (listing, warehouse): a later page starts after the listing the
    # cursor names; one two thirds of the way through.
    mid_listing = seeded.list_base + 1 + (BIG * 2) // 3
    late_listing = seeded.list_base + 1 + (LISTINGS * 2) // 3
    portal = mine.order_by("listing_id", "warehouse_id")
    api_order = ("listing_id", "warehouse_id")
    admin = everything.select_related("supplier").order_by("listing_id", "warehouse_id")
    mine_total, all_total = mine.count(), everything.count()
    doors: list[tuple[str, Any]] = [
        ("portal, supplier, page 1", partial(_keys_first, portal, 1, mine_total)),
        (
            f"portal, supplier, page {DEEP_PAGE}",
            partial(_keys_first, portal, DEEP_PAGE, mine_total),
        ),
        ("admin, staff, page 1", partial(_keys_first, admin, 1, all_total)),
        (f"admin, staff, page {DEEP_PAGE}", partial(_keys_first, admin, DEEP_PAGE, all_total)),
    ]
    cases: list[tuple[str, QuerySet[Any]]] = [
        ("API, supplier, first page", mine.order_by(*api_order)[:PAGE]),
        (
            "API, supplier, a later cursor page",
            mine.filter(listing_id__gt=mid_listing).order_by(*api_order)[:PAGE],
        ),
        ("API, staff, first page", everything.order_by(*api_order)[:PAGE]),
        (
            "API, staff, a later cursor page",
            everything.filter(listing_id__gt=late_listing).order_by(*api_order)[:PAGE],
        ),
    ]
    title = f"a page of 100 stock positions ({PAGE_RUNS} runs)"
    print(f"\n{title:<52} {'p50':>7} {'p95':>7}", flush=True)
    ok = True
    for label, read in doors[:2]:
        ok &= _line(label, _timed(read, PAGE_RUNS), 50)
    for label, page in cases:
        ok &= _line(label, _timed(partial(_fresh, page), PAGE_RUNS), 50)
    for label, read in doors[2:]:
        ok &= _line(label, _timed(read, PAGE_RUNS), 50)
    return ok


def _hot_reservations(seeded: Seeded) -> bool:
    from catalogue.models import Listing
    from logistics.services.stock import stock_reserve

    listing = Listing.objects.get(pk=seeded.list_base + 1)
    samples = []
    for n in range(201):
        started = time.perf_counter()
        stock_reserve(listing, 1, reference=f"hot-{n}", actor=None)  # commits on return
        samples.append(time.perf_counter() - started)
    print(f"\n{'a reservation on a hot listing (200 runs)':<52} {'p50':>7} {'p95':>7}")
    return _line("stock_reserve + commit, own transaction", samples[1:], 10)


def _leave(listing_id: int, keep: list[int]) -> None:
    """Write off a listing's stock down to `keep` units available per position."""
    from logistics.models import StockMovement, StockPosition
    from logistics.services.stock import stock_remove

    pks = StockPosition.objects.filter(listing_id=listing_id).order_by("pk")
    for pk, units in zip(pks.values_list("pk", flat=True), keep, strict=True):
        with transaction.atomic():
            position = StockPosition.objects.select_for_update().get(pk=pk)
            if position.available > units:
                stock_remove(
                    position,
                    position.available - units,
                    StockMovement.Kind.WRITE_OFF,
                    reference="bench: last units",
                    actor=None,
                )


def _rush(seeded: Seeded) -> bool:
    from catalogue.models import Listing
    from logistics.models import StockMovement, StockPosition
    from logistics.services.stock import stock_reserve
    from marketplace.errors import DomainError

    listing = Listing.objects.get(pk=seeded.list_base + 2)
    _leave(listing.pk, [LAST_UNITS // 2, LAST_UNITS - LAST_UNITS // 2, 0])
    available = StockPosition.objects.filter(listing=listing).aggregate(n=Sum("available"))["n"]
    assert available == LAST_UNITS, available
    barrier = threading.Barrier(CLIENTS)
    reserved = [0] * CLIENTS
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    spans: list[tuple[float, float]] = []
    errors: list[BaseException] = []

    def client(index: int) -> None:
        try:
            barrier.wait()
            began = time.perf_counter()
            while True:
                started = time.perf_counter()
                try:
                    stock_reserve(
                        listing, 1, reference=f"rush-{index}-{reserved[index]}", actor=None
                    )
                except DomainError as refused:
                    if refused.code != "out_of_stock":
                        raise
                    break
                finally:
                    latencies[index].append(time.perf_counter() - started)
                reserved[index] += 1
            spans.append((began, time.perf_counter()))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]

    total = sum(reserved)
    wall = max(end for _b, end in spans) - min(began for began, _e in spans)
    positions = list(StockPosition.objects.filter(listing=listing))
    sums = StockMovement.objects.filter(position__listing=listing).aggregate(
        total_on_hand=Sum("on_hand"), total_available=Sum("available")
    )
    rush_movements = StockMovement.objects.filter(
        position__listing=listing, kind="reservation", reference__startswith="rush-"
    ).count()
    exact = (
        total == LAST_UNITS == rush_movements
        and all(p.available >= 0 for p in positions)
        and sum(p.available for p in positions) == 0
        and sum(p.available for p in positions) == sums["total_available"]
        and sum(p.on_hand for p in positions) == sums["total_on_hand"]
    )
    every = [s for per_client in latencies for s in per_client]
    print(
        f"\n{CLIENTS} clients reserving the last {LAST_UNITS} units of one listing "
        "(2 warehouses), 1 at a time until refused"
    )
    print(
        f"  reserved {total} of {LAST_UNITS} (per client {', '.join(map(str, reserved))}); "
        f"{rush_movements} reservation movements; available left "
        f"{sum(p.available for p in positions)}; positions equal the ledger: "
        f"{'yes' if exact else 'NO'}"
    )
    print(
        f"  {total / wall:,.0f} reservations/s over {wall * 1000:.0f} ms; latency per attempt "
        f"p50 {_pct(every, 0.5):.1f} ms, p95 {_pct(every, 0.95):.1f} ms, "
        f"max {max(every) * 1000:.1f} ms ({len(every)} attempts, {len(every) - total} refused)",
        flush=True,
    )
    if not exact:
        raise SystemExit("oversold, undersold, or the positions disagree with the ledger")
    return exact


def run() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("the stock ledger benchmark needs PostgreSQL (set DATABASE_URL)")
    started = time.perf_counter()
    seeded = _seed()
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
    from logistics.models import StockMovement

    n = StockMovement.objects.filter(
        Q(position_id__gt=seeded.pos_base) & Q(position_id__lte=seeded.pos_base + POSITIONS)
    ).count()
    assert n == MOVEMENTS, n
    ok = _pages(seeded)
    ok &= _hot_reservations(seeded)
    ok &= _rush(seeded)
    print(f"\nall goals met: {'yes' if ok else 'NO'}")
