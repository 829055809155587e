"""The operator dashboard and the JIT order list at scale; run by `make bench`.

On the throwaway test database bench/run.py made: BENCH_JIT_ORDERS (default 1,000,000) JIT
orders from `seed_bench` (300 suppliers, ten days, about 9% overdue, earlier penalties), then
one sweep as beat would have run it (about 0.1 x N penalties more), then VACUUM ANALYZE as
autovacuum would have. `python -m bench.admin_pages` measures the database DATABASE_URL names
as it is instead (one seeded with `manage.py seed_bench`), without seeding or sweeping.

Through the real admin views, the test client signed in as a superuser, each page's full
response (view, queries, template) is timed, median and 95th percentile over 15 runs after 3
warm-up runs:

1. the admin index with the operator dashboard;
2. the JIT order list, page 1, and page 5,000 (two thirds of the way when there are fewer
   pages), 100 orders a page in the list's order (oldest first);
3. the list filtered by status (awaiting shipment), page 1 and a deep page.

The test client's template instrumentation (which copies every template's context for a
test's assertions) is switched off while timing, as a server has none. Each line also gives
the median CPU time of this process (the view and the template, which a busy machine does not
stretch as it does the wall clock), the page's queries and their time. Goal: every page under
300 ms.

Checks (the run fails if one does not hold): the dashboard's per-hour tally equals a recount
from the orders, the dashboard's figures read from it equal the same figures counted from the
orders, and the deep page shows exactly the orders an OFFSET would.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

GOAL_MS = 300
# BENCH_PAGE_RUNS scales the runs down (the suite's smoke run).
RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "15"))
WARM_UP = min(3, RUNS)
PER_PAGE = 100
DEEP_PAGE = 5_000
ORDERS = "/admin/orders/jitorder/"
BENCH_USER = "admin-pages-bench"


def _seed(n: int) -> None:
    from orders.management.commands.seed_bench import empty_bench_database, seed
    from orders.services.sweep import sweep_jit_deadlines

    empty_bench_database()
    started = time.perf_counter()
    report = seed(n, progress=sys.stderr.isatty())
    print(f"seeded in {time.perf_counter() - started:.1f} s: {report.lines()[0]}", flush=True)
    started = time.perf_counter()
    result = sweep_jit_deadlines()
    print(f"swept in {time.perf_counter() - started:.1f} s: {result}", flush=True)
    with connection.cursor() as cursor:
        for table in ("orders_jitorder", "orders_jitordertally", "orders_penalty"):
            cursor.execute(f"VACUUM ANALYZE {table}")


@contextmanager
def _uninstrumented() -> Iterator[None]:
    """Templates render as on a server: without the test environment's signal per template."""
    from django.template import Template
    from django.test.utils import _TestState

    saved = getattr(_TestState, "saved_data", None)
    if saved is None:
        yield
        return
    instrumented = getattr(Template, "_render")  # noqa: B009 (not in the type stubs)
    setattr(Template, "_render", saved.template_render)  # noqa: B010
    try:
        yield
    finally:
        setattr(Template, "_render", instrumented)  # noqa: B010


class _Queries:
    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def _timed(client: Any, url: str) -> tuple[list[float], list[float], _Queries, str]:
    """(wall-clock seconds, this process's CPU seconds) per run, the queries, the page."""
    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200, url
    samples, cpu = [], []
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, url
    queries = _Queries()
    with connection.execute_wrapper(queries):
        page = client.get(url).content.decode()
    return samples, cpu, queries, page


def _listed(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', page)]


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure() -> bool:
    from django.test import Client

    from accounts.models import User
    from backoffice.dashboard import _window, due_counts, live_due_counts
    from orders.models import JitOrder
    from orders.tally import tally_recount, tally_stored

    total = JitOrder.objects.count()
    if not total:
        raise SystemExit("no JIT orders to list: seed them first (manage.py seed_bench)")
    awaiting = JitOrder.objects.filter(status=JitOrder.Status.AWAITING_SHIPMENT).count()
    deep = min(DEEP_PAGE, max(1, (total + PER_PAGE - 1) // PER_PAGE * 2 // 3))
    deep_awaiting = max(1, (awaiting + PER_PAGE - 1) // PER_PAGE * 2 // 3)
    user, _created = User.objects.get_or_create(
        username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    pages = [
        ("the dashboard (admin index)", "/admin/"),
        ("JIT orders, page 1", ORDERS),
        (f"JIT orders, page {deep:,}", f"{ORDERS}?p={deep}"),
        ("awaiting shipment, page 1", f"{ORDERS}?status__exact=awaiting_shipment"),
        (
            f"awaiting shipment, page {deep_awaiting:,}",
            f"{ORDERS}?status__exact=awaiting_shipment&p={deep_awaiting}",
        ),
    ]
    print(
        f"\n{total:,} JIT orders ({awaiting:,} awaiting shipment); full responses, "
        f"{RUNS} runs after {WARM_UP} warm-up; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        f"{'page':<36} {'p50':>8} {'p95':>8} {'Python CPU':>10} {'queries':>8} {'in SQL':>8}",
        flush=True,
    )
    ok = True
    shown: dict[str, str] = {}
    try:
        with _uninstrumented():
            for label, url in pages:
                samples, cpu, queries, shown[url] = _timed(client, url)
                p50, p95 = statistics.median(samples) * 1000, _p95(samples) * 1000
                ok &= p50 < GOAL_MS
                print(
                    f"{label:<36} {p50:6.1f} ms {p95:6.1f} ms "
                    f"{statistics.median(cpu) * 1000:7.1f} ms {queries.count:>8} "
                    f"{queries.seconds * 1000:6.1f} ms",
                    flush=True,
                )
    finally:
        User.objects.filter(pk=user.pk).delete()
    print(f"every page under {GOAL_MS} ms (p50): {'yes' if ok else 'no'}")

    offset = (deep - 1) * PER_PAGE
    plain = list(
        JitOrder.objects.order_by("ordered_at", "id").values_list("pk", flat=True)[
            offset : offset + PER_PAGE
        ]
    )
    same_page = _listed(shown[f"{ORDERS}?p={deep}"]) == plain and bool(plain)
    same_tally = tally_stored() == tally_recount()
    now, start, days = _window()
    from_tally, counted = due_counts(now, start, days), live_due_counts(start, now)
    same_figures = (from_tally.by_day, from_tally.by_supplier) == (
        counted.by_day,
        counted.by_supplier,
    )
    print(f"the deep page shows the orders an OFFSET would: {'yes' if same_page else 'NO'}")
    print(f"the tally equals a recount from the orders: {'yes' if same_tally else 'NO'}")
    print(
        "the dashboard's figures from the tally equal a count of the orders: "
        f"{'yes' if same_figures else 'NO'}",
        flush=True,
    )
    if not (same_page and same_tally and same_figures):
        raise SystemExit("the admin pages benchmark found a wrong page or figure")
    return ok


def run() -> None:
    """In bench/run.py: seed, sweep, measure on the test database it made."""
    if connection.vendor != "postgresql":
        raise SystemExit("the admin pages benchmark needs PostgreSQL (set DATABASE_URL)")
    _seed(int(os.environ.get("BENCH_JIT_ORDERS", "1000000")))
    measure()


if __name__ == "__main__":
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)
    measure()
