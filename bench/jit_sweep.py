"""The JIT deadline sweep against its floor (issue 5, "Benchmark"); run by `make bench`.

For N = 100,000 and N = BENCH_JIT_ORDERS (default 1,000,000) orders, each size in a fresh child
process (so its memory figures are its own) on the throwaway test database bench/run.py made:

1. seed N orders with `seed_bench` (about 9% overdue, about 0.1 x N penalties due);
2. the floor: one hand-written SQL statement that makes the same penalty rows and ledger
   entries (due orders per tier with the 5x cap, ledger entries, penalties with the same
   evidence; no events, no flags written back, no locks), timed inside a transaction that is
   then ROLLED BACK, so the sweep runs on the very same data (VACUUM then clears the dead
   rows). It runs at its best: no LLVM JIT, and its foreign-key checks (deferred to a commit
   that never comes) made immediate so that it pays for them as the sweep does;
3. `sweep_jit_deadlines(now=...)` at the same instant, timed, with its peak of Python
   allocations (tracemalloc) and the growth of the process's peak RSS;
4. the two compared: penalties, ledger entries and amounts per tier must be equal;
5. a second sweep with nothing due (the re-run), timed;
6. the storefront during a sweep: N more orders seeded (as many due), then 8 client threads
   creating JIT orders through the real service (`jit_order_create`, each its own connection)
   for the new suppliers, first for BENCH_CLIENT_SECONDS (default 5) without a sweep, then
   while that sweep runs: the p50, p99 and max of a create, call to commit, in both. The sweep
   locks a batch's suppliers only around its posting, with a lock order creation does not wait
   for (`suppliers.services.ledger.posting`), so the two should be alike.

A CHECKPOINT before the floor and before the sweep (when the role may) has each pay its own
full-page writes. The WAL each writes is printed: the sweep also locks and rewrites the orders
and writes an event per penalty, which is most of what it costs beyond the floor.

Goals: sweep <= 2 x floor; re-run < 1 s; memory flat as N grows; creates during a sweep as
fast as without one.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction

ROOT = Path(__file__).resolve().parent.parent
SMALL = 100_000

# One statement, as one would write it by hand: every due (order, tier) with its amount under
# the cap (tiers in the table's order: what earlier tiers took counts against the cap), its
# ledger entry, its penalty with the same evidence the sweep records.
FLOOR_SQL = """
WITH late AS (
    SELECT o.*, coalesce(o.first_scan_at, o.shipment_recorded_at) AS shipped_at,
        (o.status = 'awaiting_shipment' AND o.ordered_at < %(now)s - interval '24 hours')
        OR (o.status IN ('shipped', 'received', 'accepted', 'rejected_quality')
            AND coalesce(o.first_scan_at, o.shipment_recorded_at)
                > o.ordered_at + interval '24 hours')
        OR (o.status = 'failed_stockout'
            AND o.stockout_declared_at > o.ordered_at + interval '24 hours') AS late_24,
        (o.status = 'awaiting_shipment' AND o.ordered_at < %(now)s - interval '48 hours')
        OR (o.status IN ('shipped', 'received', 'accepted', 'rejected_quality')
            AND coalesce(o.first_scan_at, o.shipment_recorded_at)
                > o.ordered_at + interval '48 hours')
        OR (o.status = 'failed_stockout'
            AND o.stockout_declared_at > o.ordered_at + interval '48 hours') AS late_48,
        o.status = 'failed_stockout'
        OR (o.status = 'awaiting_shipment' AND o.ordered_at < %(now)s - interval '72 hours')
            AS stockout
    FROM orders_jitorder o
    WHERE o.status <> 'cancelled'
      AND NOT (o.late_24h_penalized AND o.late_48h_penalized AND o.quality_penalized
               AND o.stockout_penalized)
    OFFSET 0
),
due AS (
    SELECT late.*, t.position, t.tier, t.multiple,
           coalesce(sum(t.multiple * late.goods_value) OVER earlier, 0) AS earlier,
           count(*) OVER earlier AS earlier_tiers
    FROM late
    CROSS JOIN LATERAL (VALUES
        (1, 'late_24h', 1, NOT late_24h_penalized AND late_24),
        (2, 'late_48h', 4, NOT late_48h_penalized AND late_48),
        (3, 'quality', 5, NOT quality_penalized AND status = 'rejected_quality'),
        (4, 'stockout', 5, NOT stockout_penalized AND stockout)
    ) AS t(position, tier, multiple, is_due)
    WHERE t.is_due
      AND ((NOT late_24h_penalized AND late_24) OR (NOT late_48h_penalized AND late_48)
           OR (NOT quality_penalized AND status = 'rejected_quality')
           OR (NOT stockout_penalized AND stockout))
    WINDOW earlier AS (PARTITION BY late.id ORDER BY t.position
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
assessed AS MATERIALIZED (
    SELECT capped.*,
           CASE WHEN amount > 0 THEN nextval('suppliers_ledgerentry_id_seq') END AS entry_id
    FROM (
        SELECT due.*,
               CASE WHEN earlier_tiers = 0 THEN penalty_total
                    ELSE least(5 * goods_value, penalty_total + earlier) END AS before,
               greatest(0, least(multiple * goods_value,
                                 5 * goods_value - penalty_total - earlier)) AS amount
        FROM due
    ) capped
),
entries AS (
    INSERT INTO suppliers_ledgerentry (id, supplier_id, kind, amount, currency,
        reference_type_id, reference_id, memo, bank_reference, posted_at)
    SELECT entry_id, supplier_id, 'penalty', -amount, 'CNY', %(order_type)s, id::text,
           (%(memos)s::jsonb) ->> tier, '', %(now)s
    FROM assessed WHERE entry_id IS NOT NULL
)
INSERT INTO orders_penalty (order_id, supplier_id, tier, multiple, amount, rule_version,
    evidence, assessed_at, ledger_entry_id, status)
SELECT id, supplier_id, tier, multiple, amount, %(rule_version)s,
    jsonb_build_object(
        'rule', tier,
        'rule_version', %(rule_version)s,
        'ordered_at', pg_temp.iso(ordered_at),
        'deadline_24h', pg_temp.iso(ordered_at + interval '24 hours'),
        'deadline_48h', pg_temp.iso(ordered_at + interval '48 hours'),
        'first_scan_at', pg_temp.iso(first_scan_at),
        'shipment_recorded_at', pg_temp.iso(shipment_recorded_at),
        'shipped_at', pg_temp.iso(shipped_at),
        'status', status,
        'stockout_declared_at', pg_temp.iso(stockout_declared_at),
        'inspected_at', pg_temp.iso(inspected_at),
        'defect_notes', defect_notes,
        'goods_value', goods_value::text,
        'multiple', multiple::text,
        'penalties_before', before::text,
        'amount', CASE WHEN amount = 0 THEN '0' ELSE amount::text END,
        'assessed_at', pg_temp.iso(%(now)s)
    ),
    %(now)s, entry_id, 'assessed'
FROM assessed
"""

# Python's isoformat() of a UTC datetime, in SQL (a temporary function: the floor's own).
ISO_FUNCTION = """
CREATE FUNCTION pg_temp.iso(ts timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN date_part('microseconds', ts)::bigint % 1000000 = 0 THEN ''
                ELSE to_char(ts AT TIME ZONE 'UTC', '.US') END
        || '+00:00'
$$
"""

PER_TIER_SQL = """
SELECT p.tier, count(*), count(p.ledger_entry_id), coalesce(sum(p.amount), 0),
       coalesce(sum(-l.amount), 0)
FROM orders_penalty p LEFT JOIN suppliers_ledgerentry l ON l.id = p.ledger_entry_id
WHERE p.id > %s GROUP BY p.tier ORDER BY p.tier
"""


def _per_tier(cursor: Any, after_id: int) -> dict[str, tuple[int, int, Decimal, Decimal]]:
    cursor.execute(PER_TIER_SQL, [after_id])
    return {tier: (n, entries, total, ledger) for tier, n, entries, total, ledger in cursor}


def _max_id(cursor: Any, table: str) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
    return int(cursor.fetchone()[0])


def _checkpoint(cursor: Any) -> None:
    """Each timed step starts from a fresh checkpoint: none inherits another's dirty pages,
    and each pays its own full-page writes."""
    try:
        with transaction.atomic():
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        pass  # not allowed for this role: the figures are noisier, not wrong


def _wal(cursor: Any) -> int:
    cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")
    return int(cursor.fetchone()[0])


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(n: int) -> dict[str, Any]:
    """In the child: seed n orders, time the floor (rolled back), the sweep and the re-run."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from orders.management.commands.seed_bench import empty_bench_database, penalty_memo, seed
    from orders.models import JitOrder, Penalty
    from orders.rules import RULE_VERSION
    from orders.services.sweep import sweep_jit_deadlines

    empty_bench_database()
    started = time.perf_counter()
    report = seed(n, progress=sys.stderr.isatty())
    seed_seconds = time.perf_counter() - started
    print(f"seeded in {seed_seconds:.1f} s: {report.lines()[0]}", flush=True)
    now: datetime = timezone.now()

    with connection.cursor() as cursor:
        penalties_before = _max_id(cursor, "orders_penalty")
        _checkpoint(cursor)
        wal = _wal(cursor)
        with transaction.atomic():
            # The floor at its best: no LLVM compilation (which costs it seconds); and the
            # foreign-key checks, deferred to a commit that never comes, run in the statement.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(ISO_FUNCTION)
            started = time.perf_counter()
            cursor.execute(
                FLOOR_SQL,
                {
                    "now": now,
                    "order_type": ContentType.objects.get_for_model(JitOrder).pk,
                    "rule_version": RULE_VERSION,
                    "memos": json.dumps({t: penalty_memo(t) for t in Penalty.Tier.values}),
                },
            )
            floor_seconds = time.perf_counter() - started
            floor_wal = _wal(cursor) - wal
            floor = _per_tier(cursor, penalties_before)
            transaction.set_rollback(True)
        # Clear what the rolled-back floor left: its rows, and the key-share locks its
        # foreign-key checks put on the orders (which the sweep would otherwise resolve).
        for table in ("orders_penalty", "suppliers_ledgerentry", "orders_jitorder"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        _checkpoint(cursor)
        wal = _wal(cursor)

    rss_before = _maxrss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    result = sweep_jit_deadlines(now=now)
    sweep_seconds = time.perf_counter() - started
    python_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rss_growth = _maxrss_mb() - rss_before
    with connection.cursor() as cursor:
        sweep_wal = _wal(cursor) - wal
        swept = _per_tier(cursor, penalties_before)

    started = time.perf_counter()
    again = sweep_jit_deadlines(now=now)
    rerun_seconds = time.perf_counter() - started

    same = swept == floor
    print(
        f"floor (one SQL statement, rolled back)  {floor_seconds:8.2f} s   "
        f"WAL {floor_wal / 2**20:,.0f} MB"
    )
    print(
        f"sweep_jit_deadlines()                   {sweep_seconds:8.2f} s   "
        f"WAL {sweep_wal / 2**20:,.0f} MB; {result}"
    )
    print(
        f"ratio sweep / floor                     {sweep_seconds / floor_seconds:8.2f}"
        "     (goal <= 2)"
    )
    print(
        f"re-run, nothing due                     {rerun_seconds:8.3f} s   "
        f"{again.penalties} penalties (goal < 1 s)"
    )
    print(
        f"peak memory during the sweep: {python_peak:.1f} MB of Python allocations "
        f"(tracemalloc); process maxrss {_maxrss_mb():.0f} MB, grew {rss_growth:.1f} MB"
    )
    print("per tier (penalties, ledger entries, CNY):")
    for tier in Penalty.Tier.values:
        f, s = floor.get(tier), swept.get(tier)
        print(f"  {tier:<9} floor {_fmt(f)}   sweep {_fmt(s)}")
    print(f"same penalties and ledger rows per tier: {'yes' if same else 'NO'}", flush=True)
    if not same or again.penalties:
        raise SystemExit("the sweep and the floor disagree, or the re-run did something")
    return {
        "n": n,
        "floor": floor_seconds,
        "sweep": sweep_seconds,
        "rerun": rerun_seconds,
        "python_peak": python_peak,
        "rss": rss_growth,
        **storefront_during_a_sweep(n),
    }


def storefront_during_a_sweep(n: int) -> dict[str, Any]:
    """Step 6: create latency of 8 storefront clients without a sweep, then during one."""
    from django.utils import timezone

    from accounts.models import User
    from bench.storefront_clients import CLIENTS, figures, percentile, while_clients_create
    from catalogue.models import Listing
    from orders.management.commands.seed_bench import seed
    from orders.services.sweep import sweep_jit_deadlines

    newest = Listing.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    report = seed(n, progress=False)
    print(f"seeded again for the storefront: {report.lines()[0]}", flush=True)
    listings = list(
        Listing.objects.filter(pk__gt=newest, is_jit=True, status=Listing.Status.LIVE).values_list(
            "pk", flat=True
        )
    )
    tag = timezone.now().strftime("%H%M%S")
    actor = User.objects.create_user(username=f"bench-storefront-{tag}")
    seconds = float(os.environ.get("BENCH_CLIENT_SECONDS", "5"))
    alone, a0, a1, _ = while_clients_create(listings, actor, f"{tag}a", lambda: time.sleep(seconds))
    busy, b0, b1, result = while_clients_create(
        listings, actor, f"{tag}b", lambda: sweep_jit_deadlines(now=timezone.now())
    )
    without, during = alone.during(a0, a1), busy.during(b0, b1)
    print(f"{CLIENTS} clients creating JIT orders (jit_order_create, call to commit), ms:")
    print(f"  {'':<18} {'creates':>8}  {'p50':>7} {'p99':>7} {'max':>7}")
    print(f"  {'without a sweep':<18} {figures(without)}")
    print(f"  {'during the sweep':<18} {figures(during)}")
    print(
        f"the sweep under that load: {b1 - b0:.2f} s; {result}; "
        f"{busy.refused} creates refused (supplier paused by the sweep)",
        flush=True,
    )
    if result.penalties == 0:
        raise SystemExit("the sweep under the storefront's load had nothing to do")
    return {
        "create_p99": percentile(without, 0.99),
        "create_p99_sweep": percentile(during, 0.99),
        "create_max_sweep": percentile(during, 1.0),
    }


def _fmt(row: tuple[int, int, Decimal, Decimal] | None) -> str:
    if row is None:
        return f"{'-':>24}"
    n, entries, total, _ledger = row
    return f"{n:>7,} {entries:>7,} {total:>14,}"


def run() -> None:
    """In bench/run.py: one child per size, on the test database it made."""
    from django.db import connection

    n = int(os.environ.get("BENCH_JIT_ORDERS", "1000000"))
    sizes = sorted({min(SMALL, n), n})
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        raise SystemExit("the JIT sweep benchmark needs PostgreSQL (set DATABASE_URL)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
    }
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            print(f"\n-- N = {size:,} JIT orders", flush=True)
            out = Path(folder) / f"{size}.json"
            subprocess.run(
                [sys.executable, "-m", "bench.jit_sweep", str(size), str(out)],
                cwd=ROOT,
                env=env,
                check=True,
            )
            results.append(json.loads(out.read_text()))
    print(
        f"\n{'N':>10} {'floor s':>8} {'sweep s':>8} {'ratio':>6} {'re-run s':>9} {'peak MB':>8} "
        f"{'create p99 ms':>14} {'during sweep':>13} {'max':>7}"
    )
    for row in results:
        print(
            f"{row['n']:>10,} {row['floor']:>8.2f} {row['sweep']:>8.2f} "
            f"{row['sweep'] / row['floor']:>6.2f} {row['rerun']:>9.3f} {row['python_peak']:>8.1f} "
            f"{row['create_p99']:>14.1f} {row['create_p99_sweep']:>13.1f} "
            f"{row['create_max_sweep']:>7.1f}"
        )
    print("(peak MB: Python allocations during the sweep, tracemalloc; create: 8 storefront")
    print(" clients' JIT order creates, p99 without a sweep and during one, and the slowest)")


def _child(n: int, out: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    # DEBUG would keep every query's text: memory and time that are not the sweep's.
    setup_test_environment(debug=False)
    out.write_text(json.dumps(measure(n)))


if __name__ == "__main__":
    _child(int(sys.argv[1]), Path(sys.argv[2]))
