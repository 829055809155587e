"""The nightly restock planning run end to end on real Celery workers (issue 14, "Benchmark");
run by `make bench`.

On the throwaway PostgreSQL database bench/run.py made:

1. seed BENCH_RESTOCK_LISTINGS live fully-managed listings (default 100,000; set-based: each
   row copied from one template row by INSERT ... SELECT generate_series) and
   BENCH_RESTOCK_DAYS days of demand signals each (default 180: 18M rows, every day of every
   listing), from bench/demand_data.py's known processes (smooth, seasonal, intermittent,
   lumpy, trending), loaded by COPY; timed;
2. a Redis of the benchmark's own (redis-server on a free port, nothing saved) and Celery
   workers on it (`celery worker --pool=solo`: one chunk at a time a process, in-process);
3. the nightly job as beat starts it (restock.services.runs.plan_start: rollup, chunks of
   BENCH_RESTOCK_CHUNK listings, default RESTOCK_CHUNK_LISTINGS, sent as a group) with 1 worker,
   then (proposals and forecasts cleared: the same work) with 2 workers; each timed from the
   start to the run's end as PostgreSQL records it (JobRun.finished_at), with the slowest
   chunk;
4. both runs' proposals and forecasts compared (a digest of every decided term).

Goal: under 5 minutes with 2 workers for 100,000 listings x 180 days.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Everything a run decides, in listing order: equal digests, equal decisions.
DIGEST_SQL = """
SELECT md5(coalesce(string_agg(concat_ws('|', listing_id, status, quantity, urgent, method,
        mean_daily, demand_over_lead, safety_stock, need, available, inbound, open_orders),
    ';' ORDER BY listing_id, id), '')), count(*)
FROM restock_restockproposal WHERE status = 'open'
UNION ALL
SELECT md5(coalesce(string_agg(concat_ws('|', listing_id, pattern, method, fallback, mean_daily,
        mase, daily::text), ';' ORDER BY listing_id), '')), count(*)
FROM restock_forecast
"""


def _copy_rows(
    table: str, fields: list[str], replace: dict[str, str], template: int, n: int
) -> None:
    """n copies of row `template` of `table` (`replace`: SQL of a column in terms of g, 1..n)."""
    from django.db import connection

    columns = ", ".join(fields)
    values = ", ".join(replace.get(f, f) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {values} "
            f"FROM {table}, generate_series(1, %s) AS g WHERE id = %s",
            [n, template],
        )


def _seed(n: int, days: int) -> list[int]:
    """n live fully-managed listings of one supplier, each its own product; returns their ids."""
    from django.db import connection

    from catalogue.models import Category, Listing, Product
    from suppliers.models import Supplier

    tag = str(int(time.time()))
    supplier = Supplier.objects.create(
        name_zh=f"补货基准{tag}",
        name_en=f"Restock bench {tag}",
        credit_code=f"R{tag}",
        contact_name="Bench",
        status=Supplier.Status.ACTIVE,
    )
    category, _created = Category.objects.get_or_create(
        code="bench-restock", defaults={"name_en": "Restock bench", "name_zh": "补货基准"}
    )
    product = Product.objects.create(
        title_en="Bench restock goods",
        title_zh="补货基准商品",
        category=category,
        hs_code="950300",
        weight_g=300,
        length_cm=20,
        width_cm=10,
        height_cm=5,
        declared_value_usd=5,
    )
    listing = Listing.objects.create(
        supplier=supplier,
        product=product,
        mode=Listing.Mode.FULLY_MANAGED,
        status=Listing.Status.LIVE,
        case_pack=6,
    )
    product_fields = [f.column for f in Product._meta.concrete_fields if not f.primary_key]
    _copy_rows(
        Product._meta.db_table,
        product_fields,
        {
            "title_en": f"'Bench restock goods {tag}-' || g",
            "title_zh": f"'补货基准商品{tag}-' || g",
        },
        product.pk,
        n - 1,
    )
    listing_fields = [f.column for f in Listing._meta.concrete_fields if not f.primary_key]
    # On sale for longer than the history: old enough to be judged dead stock when nothing sells.
    picked = {"product_id": "p.id", "created_at": f"now() - interval '{days + 30} days'"}
    with connection.cursor() as cursor:
        # The copies' products, in order: the g-th copy of the listing takes the g-th product.
        cursor.execute(
            "CREATE TEMP TABLE bench_products AS SELECT id, row_number() OVER (ORDER BY id) AS g "
            "FROM catalogue_product WHERE title_en LIKE %s",
            [f"Bench restock goods {tag}-%"],
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO catalogue_listing ({', '.join(listing_fields)}) "
            f"SELECT {', '.join(picked.get(f, 'l.' + f) for f in listing_fields)} "
            "FROM catalogue_listing l, bench_products p WHERE l.id = %s ORDER BY p.g",
            [listing.pk],
        )
        cursor.execute("DROP TABLE bench_products")
        cursor.execute(
            f"UPDATE catalogue_listing SET created_at = {picked['created_at']} WHERE id = %s",
            [listing.pk],
        )
    return list(
        Listing.objects.filter(supplier=supplier).order_by("pk").values_list("pk", flat=True)
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Broker:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        # This process sends the chunks there (Celery reads the environment first).
        from marketplace.celery import app

        os.environ["CELERY_BROKER_URL"] = self.url
        app.conf.broker_transport_options = {"visibility_timeout": 3600}
        # The connections made so far were to the other broker.
        setattr(app, "_pool", None)  # noqa: B010
        setattr(app.amqp, "_producer_pool", None)  # noqa: B010

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


class Workers:
    def __init__(self, broker: Broker, count: int, logs: Path) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "CELERY_BROKER_URL": broker.url,
            "CELERY_SOFT_SHUTDOWN_SECONDS": "0",
            # The workers' "ready." line, which this waits for, is logged at INFO (the test
            # suite runs with LOG_LEVEL=WARNING).
            "LOG_LEVEL": "INFO",
        }
        self.logs = [logs / f"worker{i}.log" for i in range(count)]
        self.processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "marketplace",
                    "worker",
                    "--pool=solo",
                    "--hostname",
                    f"bench{i}@%h",
                    "--without-mingle",
                    "--without-gossip",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            for i, log in enumerate(self.logs)
        ]
        deadline = time.monotonic() + 120
        while not all("ready." in log.read_text(errors="replace") for log in self.logs):
            self.check()
            assert time.monotonic() < deadline, "the workers did not start\n" + self.output()
            time.sleep(0.2)

    def check(self) -> None:
        assert all(p.poll() is None for p in self.processes), "a worker died\n" + self.output()

    def output(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-3000:] for log in self.logs)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _forget() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE restock_forecast, restock_restockproposal")
        cursor.execute("UPDATE catalogue_listing SET dead_stock_since = NULL")


def _digest() -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(DIGEST_SQL)
        return list(cursor.fetchall())


def _nightly(workers: int, chunk: int, broker: Broker, logs: Path) -> dict[str, Any]:
    from django.db.models import Max, Min

    from marketplace.models import JobRun
    from restock.models import PlanChunk
    from restock.services.runs import plan_start

    pool = Workers(broker, workers, logs)
    try:
        started = time.perf_counter()
        run = plan_start(chunk_listings=chunk)
        while True:
            run.refresh_from_db()
            if run.status != JobRun.Status.RUNNING:
                break
            pool.check()
            time.sleep(0.5)
        wall = time.perf_counter() - started
    finally:
        pool.stop()
    assert run.status == JobRun.Status.SUCCEEDED, run.summary
    assert run.finished_at is not None
    chunks = PlanChunk.objects.filter(run=run)
    times = chunks.aggregate(first=Min("sent_at"), last=Max("done_at"))
    slowest = max(
        ((c.done_at - c.sent_at).total_seconds() for c in chunks if c.done_at and c.sent_at),
        default=0.0,
    )
    recorded = (run.finished_at - run.started_at).total_seconds()
    print(
        f"  {workers} worker(s): {wall:.1f} s wall ({recorded:.1f} s from the run's start to its "
        f"end in PostgreSQL; {run.summary}; slowest chunk {slowest:.1f} s)"
    )
    return {"wall": wall, "run": run, "digest": _digest(), "times": times}


def run() -> None:
    from django.conf import settings
    from django.db import connection

    from bench.demand_data import copy_signals, generate
    from marketplace.formatting import suppliers_today

    n = int(os.environ.get("BENCH_RESTOCK_LISTINGS", "100000"))
    days = int(os.environ.get("BENCH_RESTOCK_DAYS", "180"))
    chunk = int(os.environ.get("BENCH_RESTOCK_CHUNK", str(settings.RESTOCK_CHUNK_LISTINGS)))
    started = time.perf_counter()
    ids = _seed(n, days)
    seeded = time.perf_counter() - started
    print(f"seeded {len(ids):,} listings in {seeded:.1f} s")

    started = time.perf_counter()
    end_day = suppliers_today() - timedelta(days=1)
    rows = 0
    step = 20_000  # generated a slice at a time: 100,000 x 180 int64s at once is 144 MB
    for first in range(0, len(ids), step):
        part = ids[first : first + step]
        generated = generate(len(part), days, seed=first)
        rows += copy_signals(part, generated.history, end_day=end_day)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE restock_demandsignal")
        cursor.execute("ANALYZE catalogue_listing")
    loaded = time.perf_counter() - started
    print(f"demand signals: {rows:,} rows ({days} days a listing) by COPY in {loaded:.1f} s")

    print(f"nightly planning run, chunks of {chunk:,} listings, `celery worker --pool=solo`:")
    with tempfile.TemporaryDirectory() as logs:
        broker = Broker()
        try:
            one = _nightly(1, chunk, broker, Path(logs))
            _forget()
            two = _nightly(2, chunk, broker, Path(logs))
        finally:
            broker.stop()
    same = one["digest"] == two["digest"]
    proposals, forecasts = two["digest"][0][1], two["digest"][1][1]
    print(f"  {forecasts:,} forecasts, {proposals:,} open proposals")
    print(f"  speed-up with 2 workers: {one['wall'] / two['wall']:.2f}x")
    print(f"the same proposals and forecasts with 1 and 2 workers: {'yes' if same else 'NO'}")
    goal = 300 * n / 100_000
    verdict = "yes" if two["wall"] <= goal else "NO"
    print(f"2 workers within the goal (5 minutes for 100,000 listings, pro rata): {verdict}")
    assert same, "1 and 2 workers decided differently"
