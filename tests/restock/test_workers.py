"""The planning run on real Celery workers (subprocesses) against the test database, through
a Redis of this test's own on a port of its own: the same proposals with two workers as with
one and as inline; a worker SIGKILLed mid-chunk; the broker killed and started again empty
mid-run. Each time the run completes exactly once with the same proposals.

To catch a worker "mid-chunk" without sleeping and hoping, the test holds an ACCESS EXCLUSIVE
lock on the forecasts' table: a chunk has read its demand and forecast it, and waits to write;
PostgreSQL reports the waiting sessions (pg_stat_activity), so the faults are injected while
both workers are inside a chunk."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import redis
from django.core.management import call_command
from django.db import connection, transaction

from marketplace.celery import app
from marketplace.formatting import suppliers_today
from marketplace.models import JobRun
from restock.models import Forecast, PlanChunk
from restock.services.runs import plan_inline, plan_start
from restock.tasks import plan_resume_task
from tests.concurrency import wait_until_blocked

from .runs_support import forget_plans, outcome, seed_demand

ROOT = Path(__file__).resolve().parents[2]
LISTINGS = 240
CHUNK = 30
# The watchdog's staleness in the workers (they run plan_resume): seconds, not minutes.
STALE_SECONDS = 2
DEADLINE = 45

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """redis-server on a free port, nothing saved: a restart starts it empty."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def keys(self) -> int:
        return int(redis.Redis.from_url(self.url).dbsize())


@pytest.fixture
def private_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    # This process sends (plan_start's group, the watchdog as beat would) to that Redis too
    # (Celery reads CELERY_BROKER_URL from the environment before its own setting).
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = server.url
    app.conf.broker_transport_options = {"visibility_timeout": 3600}
    app._pool = None
    app.amqp._producer_pool = None
    yield server
    app.conf.broker_url, app.conf.broker_transport_options = saved
    app._pool = None
    app.amqp._producer_pool = None
    if server.process and server.process.poll() is None:
        server.kill()


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Workers:
    """Celery worker processes (solo pool: the chunk runs in the worker's own process), their
    output in files to show when a test fails."""

    def __init__(self, server: PrivateRedis, logs: Path) -> None:
        self.server = server
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "CELERY_BROKER_URL": self.server.url,
            "RESTOCK_CHUNK_STALE_SECONDS": str(STALE_SECONDS),
            # Idle at the end of a test: stop at once.
            "CELERY_SOFT_SHUTDOWN_SECONDS": "0",
        }
        log = (self.logs / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "marketplace",
                "worker",
                "--pool=solo",
                "--hostname",
                f"{name}@%h",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(10)

    def output(self) -> str:
        return "\n".join(
            f"--- worker {name} (exit {process.poll()}):\n"
            + (self.logs / f"{name}.log").read_text(errors="replace")[-4000:]
            for name, process in self.processes.items()
        )

    def stop(self) -> None:
        """Idle by now: a cold shutdown (SIGQUIT), killed if it lingers."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT)
        for process in self.processes.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@pytest.fixture
def workers(private_redis: PrivateRedis, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(private_redis, tmp_path)
    yield pool
    pool.stop()


@pytest.fixture
def one_worker(workers: Workers) -> Workers:
    workers.start("one")
    return workers


@pytest.fixture
def two_workers(workers: Workers) -> Workers:
    """Two workers, started first: they boot while the baseline is computed."""
    workers.start("w1")
    workers.start("w2")
    return workers


@pytest.fixture
def baseline() -> dict[str, Any]:
    """The listings, and what a run done inline (no worker) decides for them."""
    seed_demand(LISTINGS, today=suppliers_today(), days=120, others=12)
    run = plan_inline(plan_start(chunk_listings=CHUNK, dispatch=False))
    assert run.status == JobRun.Status.SUCCEEDED
    decided = outcome()
    assert len(decided["forecasts"]) == LISTINGS
    assert decided["proposals"], "the data gives some proposals"
    forget_plans()
    return decided


def _until(
    done: Callable[[], bool], workers: Workers, what: str, every: Callable[[], None] | None = None
) -> None:
    deadline = time.monotonic() + DEADLINE
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {DEADLINE} s\n{workers.output()}")
        if every is not None:
            every()
        time.sleep(0.2)


def _finished(run: JobRun) -> Callable[[], bool]:
    def check() -> bool:
        run.refresh_from_db()
        return run.status != JobRun.Status.RUNNING

    return check


def _ended_once(run: JobRun, workers: Workers) -> None:
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED, workers.output()
    assert run.done == run.total == LISTINGS
    assert not PlanChunk.objects.filter(run=run, done_at__isnull=True).exists()
    chunks = LISTINGS // CHUNK
    assert run.summary.startswith(f"{LISTINGS} listings planned in {chunks} chunks")


class Beat:
    """plan_resume sent as beat sends it (here every second instead of every minute)."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self) -> None:
        if time.monotonic() - self.last >= 1:
            plan_resume_task.delay()
            self.last = time.monotonic()


class ForecastsLocked:
    """An ACCESS EXCLUSIVE lock on the forecasts' table from a connection of its own: a chunk
    that has forecast its listings waits there to write them."""

    def __enter__(self) -> ForecastsLocked:
        db = connection.settings_dict
        self.db = psycopg2.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"] or None,
            host=db["HOST"],
            port=db["PORT"],
        )
        with self.db.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Forecast._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        return self

    def release(self) -> None:
        if not self.db.closed:
            self.db.rollback()
            self.db.close()

    def __exit__(self, *_: object) -> None:
        self.release()


def test_two_workers_propose_what_one_worker_and_an_inline_run_propose(one_worker, baseline):
    workers = one_worker
    run = plan_start(chunk_listings=CHUNK)
    _until(_finished(run), workers, "the run on one worker")
    _ended_once(run, workers)
    assert outcome() == baseline
    forget_plans()

    workers.start("two")
    # Started by the command, whose bar follows the workers until the run ends.
    out = StringIO()
    call_command("plan_restock", "--chunk", str(CHUNK), stdout=out)
    run = JobRun.objects.filter(name="restock_plan").latest("started_at")
    assert f"Succeeded: {LISTINGS} listings planned" in out.getvalue()
    _ended_once(run, workers)
    assert outcome() == baseline
    assert all(p.poll() is None for p in workers.processes.values()), workers.output()


def test_a_worker_killed_mid_chunk_the_run_completes_once_with_the_same_proposals(
    two_workers, baseline
):
    workers = two_workers
    with ForecastsLocked() as lock:
        run = plan_start(chunk_listings=CHUNK)
        # Both workers are inside a chunk, waiting to write its forecasts.
        wait_until_blocked(2, timeout=DEADLINE)
        workers.kill("w1")
        lock.release()
    _until(_finished(run), workers, "the run after a worker was killed", every=Beat())
    _ended_once(run, workers)
    # The killed worker's chunk was taken again (its message is still unacknowledged in Redis:
    # the watchdog sent it again once stale).
    assert PlanChunk.objects.filter(run=run, attempts__gte=2).exists()
    assert outcome() == baseline


def test_the_broker_restarted_empty_mid_run_the_run_completes_once_with_the_same_proposals(
    two_workers, baseline, private_redis
):
    workers = two_workers
    with ForecastsLocked() as lock:
        run = plan_start(chunk_listings=CHUNK)
        wait_until_blocked(2, timeout=DEADLINE)
        assert private_redis.keys() > 0  # the queued chunks
        private_redis.kill()
        private_redis.start()
        assert private_redis.keys() == 0  # every queued chunk lost
        lock.release()
    _until(_finished(run), workers, "the run after the broker restarted", every=Beat())
    _ended_once(run, workers)
    assert outcome() == baseline
    assert all(p.poll() is None for p in workers.processes.values()), workers.output()


def test_the_chunks_reach_the_broker_only_once_the_run_has_committed(private_redis):
    seed_demand(30, today=suppliers_today(), days=5)
    queue = redis.Redis.from_url(private_redis.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        plan_start(chunk_listings=10)
        raise RuntimeError("the caller's transaction rolled back")
    assert queue.llen("celery") == 0
    assert not JobRun.objects.filter(name="restock_plan").exists()
    with transaction.atomic():
        run = plan_start(chunk_listings=10)
        assert queue.llen("celery") == 0
    assert queue.llen("celery") == 3
    assert run.total == 30
