"""`python manage.py seed_bench --jit-orders N`: N JIT orders in realistic states, for the sweep
benchmark (bench/jit_sweep.py), made with set-based SQL on PostgreSQL in a few seconds per
million.

What it makes (the shares are of N; `Mix` below is the table):

- a few hundred JIT-enrolled suppliers (a Guangdong factory, a large deposit, one live JIT
  listing each); one in fifty has a deposit just above the JIT minimum once its past penalties
  are counted, so the next sweep pauses it;
- orders spread over the last ten days, most shipped on time and accepted (the last day's still
  waiting, in transit or received), 1% cancelled, and 3% late or rejected orders whose penalties
  earlier sweeps already took (flags, `penalty_total`, penalty rows and ledger entries in place);
- about 9% overdue across every tier, as if the sweep had not run since they fell due: unshipped
  past 24 h, past 48 h (some already fined for 24 h) and past 72 h (some already at the cap),
  shipped late past 24 h and past 48 h, rejected for quality (on time, and late), and declared
  stockouts (on time, and late) -- about 0.1 x N penalties due at the next sweep;
- reminders recorded as the earlier sweeps would have, so only penalties are due;
- the dashboard's per-hour tally of the orders (orders.tally), recounted once they are in.

Safety: it refuses a database that already holds suppliers or JIT orders (real data, or an
earlier seed) unless --force. The benchmark never needs --force: it calls `seed()` inside the
throwaway test database bench/run.py creates and drops. PostgreSQL only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from catalogue.models import Category, Listing, Product
from orders.models import JitOrder, Penalty
from orders.rules import RULE_VERSION
from orders.tally import tally_rebuild
from suppliers.models import Factory, Province, Supplier

SUPPLIERS = 300
CHUNK = 100_000  # orders per INSERT (one step of the progress bar)
HOURS_KEPT = 240  # orders span the last ten days

# (kind, share per mille, penalties the next sweep owes each order of this kind). The
# overdue kinds come first; `b` in the SQL is an order's bucket in 0..999.
MIX: list[tuple[str, int, int]] = [
    ("unshipped_24", 20, 1),  # awaiting shipment, 24-48 h old: late_24h
    ("unshipped_48_flagged", 10, 1),  # 48-72 h, late_24h taken: late_48h
    ("unshipped_48", 3, 2),  # 48-72 h: late_24h, late_48h
    ("unshipped_72_flagged", 5, 1),  # 72 h+, at the cap: stockout (0 CNY), status failed
    ("unshipped_72", 1, 3),  # 72 h+: late_24h, late_48h, stockout (0 CNY)
    ("shipped_late_24", 25, 1),  # first scan 24-48 h: late_24h
    ("shipped_late_48", 3, 2),  # first scan 48-68 h: late_24h, late_48h
    ("quality", 10, 1),  # on time, rejected at inspection: quality
    ("quality_late", 2, 2),  # scan 24-44 h, rejected: late_24h, quality (4x, capped)
    ("stockout", 10, 1),  # declared within 24 h: stockout
    ("stockout_late", 1, 2),  # declared 25-45 h: late_24h, stockout (4x, capped)
    ("cancelled", 10, 0),
    ("accepted_late_penalized", 20, 0),  # scan 24-34 h, late_24h taken, accepted
    ("quality_penalized", 5, 0),
    ("stockout_penalized", 5, 0),
    ("on_time", 870, 0),  # the rest: shipped within 24 h, or the last day's still open
]
assert sum(share for _kind, share, _due in MIX) == 1000


def _bucket_case() -> str:
    """CASE mapping bucket b (0..999) to its kind, in MIX's order."""
    arms, upper = [], 0
    for kind, share, _due in MIX[:-1]:
        upper += share
        arms.append(f"WHEN b < {upper} THEN '{kind}'")
    return f"CASE {' '.join(arms)} ELSE '{MIX[-1][0]}' END"


# Hours after the order: when it shipped (NULL: never), when a stockout was declared or the order
# cancelled, and its age now. r1, r2 are uniform in [0, 1) per order (from a hash of its number,
# so the same N gives the same orders); ages never come within minutes of a deadline. Each step
# ends in OFFSET 0 so PostgreSQL computes it once per row instead of inlining its expressions
# into the next step's (which multiplies them).
ORDERS_SQL = """
WITH base AS (
    SELECT g, l.listing_id, l.supplier_id, l.price,
           1 + (hashint8extended(g, 7) & 3) AS qty,
           ((hashint8extended(g, 1) & 2147483647) %% 1000)::int AS b,
           (hashint8extended(g, 2) & 2147483647)::float8 / 2147483648 AS r1,
           (hashint8extended(g, 3) & 2147483647)::float8 / 2147483648 AS r2
    FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS g
    JOIN bench_listing l ON l.n = g %% %(suppliers)s
    OFFSET 0
),
kinds AS (SELECT base.*, {case} AS kind FROM base OFFSET 0),
events AS (
    SELECT k.*,
        CASE
            WHEN kind IN ('shipped_late_24', 'quality_late') THEN 24.1 + r2 * 20
            WHEN kind = 'shipped_late_48' THEN 48.1 + r2 * 20
            WHEN kind = 'accepted_late_penalized' THEN 24.1 + r2 * 10
            WHEN kind IN ('quality', 'quality_penalized', 'on_time') THEN 1 + r2 * 22
        END AS ship_h,
        CASE
            WHEN kind IN ('stockout', 'stockout_penalized') THEN 1 + r2 * 22
            WHEN kind = 'stockout_late' THEN 25 + r2 * 20
        END AS stockout_h,
        CASE WHEN kind = 'cancelled' THEN 0.2 + r2 * 5 END AS cancel_h
    FROM kinds k
    OFFSET 0
),
aged AS (
    SELECT e.*,
        CASE
            WHEN kind = 'unshipped_24' THEN 24.1 + r1 * 23.8
            WHEN kind IN ('unshipped_48', 'unshipped_48_flagged') THEN 48.1 + r1 * 23.8
            WHEN kind IN ('unshipped_72', 'unshipped_72_flagged') THEN 72.1 + r1 * {span_72}
            WHEN kind = 'on_time' THEN 0.1 + r1 * {span}
            WHEN ship_h IS NOT NULL
                THEN ship_h + 0.5 + r1 * ({hours} - ship_h - 0.5)
            ELSE coalesce(stockout_h, cancel_h) + 0.1
                 + r1 * ({hours} - coalesce(stockout_h, cancel_h) - 0.1)
        END AS age_h
    FROM events e
    OFFSET 0
),
timeline AS (
    SELECT a.*,
        %(now)s::timestamptz - age_h * interval '1 hour' AS ordered_at,
        CASE WHEN ship_h < age_h THEN ship_h END AS shipped_h,
        -- The time the order stopped waiting for shipment (or now): reminders before it.
        least(age_h, coalesce(ship_h, stockout_h, cancel_h, age_h)) AS waited_h
    FROM aged a
    OFFSET 0
)
INSERT INTO orders_jitorder (
    listing_id, supplier_id, external_id, quantity, unit_supply_price, goods_value, ordered_at,
    status, waybill, shipment_recorded_at, first_scan_at, received_at, received_quantity,
    inspected_at, defect_notes, stockout_declared_at, stockout_reason, cancelled_at,
    late_24h_penalized, late_48h_penalized, quality_penalized, stockout_penalized, penalty_total,
    reminded_18h_at, reminded_23h_at, created_at
)
SELECT
    listing_id, supplier_id, 'BENCH-' || g, qty, price, qty * price, ordered_at,
    CASE
        WHEN kind = 'cancelled' THEN 'cancelled'
        WHEN stockout_h IS NOT NULL THEN 'failed_stockout'
        WHEN shipped_h IS NULL THEN 'awaiting_shipment'
        WHEN age_h < shipped_h + 8 THEN 'shipped'
        WHEN age_h < shipped_h + 10 THEN 'received'
        WHEN kind LIKE 'quality%%' THEN 'rejected_quality'
        ELSE 'accepted'
    END,
    CASE WHEN shipped_h IS NOT NULL THEN 'SF' || lpad((1000000000 + g)::text, 12, '0') ELSE '' END,
    ordered_at + shipped_h * interval '1 hour',
    CASE WHEN age_h > shipped_h + 0.2
         THEN ordered_at + (shipped_h + 0.1) * interval '1 hour' END,
    CASE WHEN age_h >= shipped_h + 8 THEN ordered_at + (shipped_h + 8) * interval '1 hour' END,
    CASE WHEN age_h >= shipped_h + 8 THEN qty END,
    CASE WHEN age_h >= shipped_h + 10 THEN ordered_at + (shipped_h + 10) * interval '1 hour' END,
    CASE WHEN kind LIKE 'quality%%' THEN 'Paint flaking on 3 of 5 pieces sampled.' ELSE '' END,
    ordered_at + stockout_h * interval '1 hour',
    CASE WHEN stockout_h IS NOT NULL THEN 'Mould broke; no stock until next month.' ELSE '' END,
    ordered_at + cancel_h * interval '1 hour',
    kind IN ('unshipped_48_flagged', 'unshipped_72_flagged', 'accepted_late_penalized'),
    kind = 'unshipped_72_flagged',
    kind = 'quality_penalized',
    kind = 'stockout_penalized',
    qty * price * CASE
        WHEN kind IN ('unshipped_48_flagged', 'accepted_late_penalized') THEN 1
        WHEN kind IN ('unshipped_72_flagged', 'quality_penalized', 'stockout_penalized') THEN 5
        ELSE 0
    END,
    CASE WHEN waited_h > 18 THEN ordered_at + interval '18 hours' END,
    CASE WHEN waited_h > 23 THEN ordered_at + interval '23 hours' END,
    ordered_at
FROM timeline
"""

# The penalties earlier sweeps took (the orders flagged above): their ledger entries, then the
# penalties pointing at them.
PAST_PENALTIES_SQL = """
WITH taken AS (
    SELECT o.id, o.supplier_id, o.goods_value, t.tier, t.multiple, t.memo,
           o.ordered_at + t.after AS at
    FROM orders_jitorder o
    CROSS JOIN LATERAL (VALUES
        ('late_24h', 1, %(memo_late_24h)s, interval '24 hours 1 minute', o.late_24h_penalized),
        ('late_48h', 4, %(memo_late_48h)s, interval '48 hours 1 minute', o.late_48h_penalized),
        ('quality', 5, %(memo_quality)s, interval '34 hours', o.quality_penalized),
        ('stockout', 5, %(memo_stockout)s, interval '24 hours', o.stockout_penalized)
    ) AS t(tier, multiple, memo, after, flagged)
    WHERE o.id >= %(first_id)s AND t.flagged
),
entries AS (
    INSERT INTO suppliers_ledgerentry (supplier_id, kind, amount, currency, reference_type_id,
        reference_id, memo, bank_reference, posted_at)
    SELECT supplier_id, 'penalty', -multiple * goods_value, 'CNY', %(order_type)s, id::text,
           memo, '', at
    FROM taken
    RETURNING id, reference_id, memo
)
INSERT INTO orders_penalty (order_id, supplier_id, tier, multiple, amount, rule_version,
    evidence, assessed_at, ledger_entry_id, status)
SELECT t.id, t.supplier_id, t.tier, t.multiple, t.multiple * t.goods_value, %(rule_version)s,
       jsonb_build_object('rule', t.tier, 'rule_version', %(rule_version)s, 'seeded', true),
       t.at, e.id, 'assessed'
FROM taken t JOIN entries e ON e.reference_id = t.id::text AND e.memo = t.memo
"""


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass
class SeedReport:
    orders: int = 0
    suppliers: int = 0
    past_penalties: int = 0
    due_penalties: int = 0
    overdue_orders: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        timings = ", ".join(f"{step} {secs:.1f} s" for step, secs in self.seconds.items())
        return [
            f"{self.orders:,} JIT orders from {self.suppliers} suppliers, "
            f"{self.overdue_orders:,} overdue owing about {self.due_penalties:,} penalties; "
            f"{self.past_penalties:,} earlier penalties in the ledger",
            f"timings: {timings} (total {sum(self.seconds.values()):.1f} s)",
        ]


def penalty_memo(tier: str) -> str:
    """The memo on the seeded earlier penalties' ledger entries and the floor's (the sweep
    itself now writes none: the doors word a penalty from its tier and order)."""
    return f"JIT penalty: {Penalty.Tier(tier).label} ({RULE_VERSION})"


def empty_bench_database() -> None:
    """Empty the benchmarks' throwaway database before a seed. The ledgers refuse TRUNCATE
    unless the transaction says so (suppliers/migrations/0007_ledger_no_truncate.py)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL marketplace.allow_truncate = 'on'")
        cursor.execute(
            "TRUNCATE suppliers_supplier, catalogue_category, marketplace_event "
            "RESTART IDENTITY CASCADE"
        )


def _expected(n: int) -> tuple[int, int]:
    """(overdue orders, penalties due) the mix gives for n orders, approximately."""
    overdue = sum(share for _k, share, due in MIX if due) * n // 1000
    due = sum(share * due for _k, share, due in MIX) * n // 1000
    return overdue, due


def _suppliers(n_orders: int, now: datetime) -> list[tuple[int, int, Decimal]]:
    """The suppliers, their factories and JIT listings: [(listing, supplier, unit price)]."""
    # Unique per seeding, also for two seedings within one second (the benchmark seeds again
    # for its storefront step): the milliseconds, in the twelve digits a credit code has room for.
    tag = f"{int(now.timestamp() * 1000) % 10**12:012d}"
    suppliers = Supplier.objects.bulk_create(
        Supplier(
            name_zh=f"基准工厂{tag}-{i}",
            name_en=f"Bench factory {tag}-{i}",
            credit_code=f"J{tag}{i:05d}",
            contact_name="Bench",
            status=Supplier.Status.ACTIVE,
            status_changed_at=now - timedelta(days=60),
            jit_status=Supplier.JitStatus.ENROLLED,
            jit_status_changed_at=now - timedelta(days=30),
        )
        for i in range(SUPPLIERS)
    )
    Factory.objects.bulk_create(
        Factory(supplier=s, province=Province.GUANGDONG, city="Shantou", address="Chenghai")
        for s in suppliers
    )
    category, _ = Category.objects.get_or_create(
        code="bench-toys",
        defaults={
            "name_en": "Toys (bench)",
            "name_zh": "玩具",
            "risk_level": Category.Risk.LOW,
            "aql_override": Category.Aql.AQL_2_5,
        },
    )
    products = Product.objects.bulk_create(
        Product(
            title_en=f"Bench toy {tag}-{i}",
            title_zh=f"基准玩具{i}",
            category=category,
            hs_code="950300",
            weight_g=300,
            length_cm=Decimal("20.0"),
            width_cm=Decimal("10.0"),
            height_cm=Decimal("5.0"),
            declared_value_usd=Decimal("5.00"),
            owner=s,
        )
        for i, s in enumerate(suppliers)
    )
    listings = Listing.objects.bulk_create(
        Listing(
            supplier=s,
            product=p,
            mode=Listing.Mode.FULLY_MANAGED,
            is_jit=True,
            status=Listing.Status.LIVE,
            supply_price_cny=Decimal(10 + (i * 37) % 90),
        )
        for i, (s, p) in enumerate(zip(suppliers, products, strict=True))
    )
    return [(lst.pk, lst.supplier_id, lst.supply_price_cny or Decimal(0)) for lst in listings]


def _top_ups(cursor: Any, supplier_ids: list[int], n_orders: int, now: datetime) -> None:
    """A large deposit each (about four times what the orders will ever cost it); one supplier
    in fifty gets just enough to stay above the minimum after its past penalties, so the next
    sweep pauses it."""
    per_supplier = n_orders // SUPPLIERS + 1
    minimum = settings.JIT_MIN_DEPOSIT_CNY
    cursor.execute(
        """
        INSERT INTO suppliers_ledgerentry (supplier_id, kind, amount, currency, reference_id,
            memo, bank_reference, posted_at)
        SELECT s.id, 'top_up',
               CASE WHEN s.n %% 50 = 0
                    THEN %(minimum)s + 2000 - coalesce(p.total, 0)
                    ELSE %(large)s END,
               'CNY', '', 'Bench deposit', 'BENCH-' || s.id, %(at)s
        FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
              FROM suppliers_supplier WHERE id = ANY(%(ids)s)) s
        LEFT JOIN (SELECT supplier_id, sum(amount) AS total FROM suppliers_ledgerentry
                   WHERE supplier_id = ANY(%(ids)s) GROUP BY supplier_id) p
          ON p.supplier_id = s.id
        """,
        {
            "minimum": minimum,
            "large": Decimal(200 * per_supplier + 100_000),
            "at": now - timedelta(hours=HOURS_KEPT + 24),
            "ids": supplier_ids,
        },
    )


def seed(n: int, *, progress: bool = True, out: Writer | None = None) -> SeedReport:
    """Create n JIT orders (and their suppliers, listings, deposits and past penalties)."""
    if connection.vendor != "postgresql":
        raise CommandError("seed_bench needs PostgreSQL (set DATABASE_URL).")
    report = SeedReport(orders=n, suppliers=SUPPLIERS)
    now = timezone.now()
    # One transaction: a failed seed leaves nothing behind.
    committed = None
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        listings = _suppliers(n, now)
        report.seconds["suppliers"] = time.perf_counter() - started

        started = time.perf_counter()
        # LLVM compilation of these wide expressions costs far more than it saves.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM orders_jitorder")
        first_id = cursor.fetchone()[0]
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_listing (n int PRIMARY KEY, listing_id int, "
            "supplier_id int, price numeric(12, 2)) ON COMMIT DROP"
        )
        cursor.executemany(
            "INSERT INTO bench_listing VALUES (%s, %s, %s, %s)",
            [(i, lst, sup, price) for i, (lst, sup, price) in enumerate(listings)],
        )
        sql = ORDERS_SQL.format(
            case=_bucket_case(),
            hours=HOURS_KEPT,
            span=HOURS_KEPT - 0.2,
            span_72=HOURS_KEPT - 72.2,
        )
        with tqdm(
            total=n, desc="JIT orders", unit="order", unit_scale=True, disable=not progress
        ) as bar:
            for lo in range(1, n + 1, CHUNK):
                hi = min(n, lo + CHUNK - 1)
                cursor.execute(sql, {"lo": lo, "hi": hi, "suppliers": SUPPLIERS, "now": now})
                bar.update(hi - lo + 1)
        cursor.execute("DROP TABLE bench_listing")
        report.seconds["orders"] = time.perf_counter() - started

        started = time.perf_counter()
        cursor.execute(
            PAST_PENALTIES_SQL,
            {
                "first_id": first_id,
                "order_type": ContentType.objects.get_for_model(JitOrder).pk,
                "rule_version": RULE_VERSION,
                **{f"memo_{tier}": penalty_memo(tier) for tier in Penalty.Tier.values},
            },
        )
        report.past_penalties = cursor.rowcount
        _top_ups(cursor, sorted({sup for _l, sup, _p in listings}), n, now)
        report.seconds["past penalties and deposits"] = time.perf_counter() - started

        started = time.perf_counter()
        # The orders went in around the services: their share of the dashboard's tally too.
        tally_rebuild()
        report.seconds["dashboard tally"] = time.perf_counter() - started
        committed = time.perf_counter()
    report.seconds["commit"] = time.perf_counter() - committed

    if not connection.in_atomic_block:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # As autovacuum would have by now: fresh statistics and a visibility map.
            for table in (
                "orders_jitorder",
                "orders_penalty",
                "suppliers_ledgerentry",
                "orders_jitordertally",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
        report.seconds["vacuum analyze"] = time.perf_counter() - started
    report.overdue_orders, report.due_penalties = _expected(n)
    if out is not None:
        for line in report.lines():
            out.write(line + "\n")
    return report


class Command(BaseCommand):
    help = (
        "Create N JIT orders in realistic states for the sweep benchmark (PostgreSQL; refuses "
        "a database that already has suppliers or orders unless --force)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--jit-orders", type=int, default=1_000_000, metavar="N")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database already holds suppliers or JIT orders.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        n = options["jit_orders"]
        if n < 1:
            raise CommandError("--jit-orders must be at least 1.")
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench needs PostgreSQL (set DATABASE_URL).")
        if not options["force"] and (Supplier.objects.exists() or JitOrder.objects.exists()):
            raise CommandError(
                "This database already holds suppliers or JIT orders; seed_bench adds 300 "
                "suppliers and their orders next to them. Use a scratch database, or --force."
            )
        seed(n, progress=options["verbosity"] > 0, out=self.stdout)
