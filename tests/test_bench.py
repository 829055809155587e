"""`make bench` keeps working: every benchmark runs end to end at a small size on PostgreSQL (in
its own throwaway database) and its own correctness checks pass. The figures themselves are
not judged here: timings belong to benchmarks, not tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent


def test_every_benchmark_runs_at_a_small_size():
    from bench.run import BENCHMARKS

    db = connection.settings_dict
    name = f"{db['NAME']}_bench"[:50]  # bench/run.py makes and drops test_<name>
    env = {
        **os.environ,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{name}"
        ),
        "BENCH_JIT_ORDERS": "3000",
        "BENCH_STOCK_MOVEMENTS": "30000",
        "BENCH_CLIENT_SECONDS": "1",
        "BENCH_LEDGER_ENTRIES": "20000",
        "BENCH_API_REQUESTS": "40",
        "BENCH_API_SUPPLIERS": "200",
        "BENCH_PAGE_RUNS": "3",
        "BENCH_COMPLIANCE_LISTINGS": "3000",
        "BENCH_COMPLIANCE_GATES": "50",
        "BENCH_CUSTOMS_PARCELS": "3000",
        "BENCH_CUSTOMS_SAMPLE": "100",
        "BENCH_TRACKING_PARCELS": "2000",
        "BENCH_RESTOCK_LISTINGS": "600",
        "BENCH_RESTOCK_DAYS": "90",
        "BENCH_SCORECARD_SUPPLIERS": "300",
        "BENCH_RESTOCK_SERIES": "1000",
        "BENCH_RESTOCK_CHUNK": "200",
        "BENCH_DEMAND_LISTINGS": "200",
        "BENCH_DEMAND_DAYS": "60",
        "BENCH_DEMAND_REPEAT": "1",
    }
    done = subprocess.run(
        [sys.executable, "bench/run.py", *BENCHMARKS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in BENCHMARKS:
        assert f"== {name}" in done.stdout
    assert "same penalties and ledger rows per tier: yes" in done.stdout
    assert "positions equal the ledger: yes" in done.stdout
    assert "the deep page shows the orders an OFFSET would: yes" in done.stdout
    assert "the tally equals a recount from the orders: yes" in done.stdout
    assert "the dashboard's figures from the tally equal a count of the orders: yes" in done.stdout
    assert "the same proposals and forecasts with 1 and 2 workers: yes" in done.stdout
    assert "same may-sell and reason counts for every listing and market: yes" in done.stdout
    assert "the set-based decisions equal the single judgement for 100 sampled parcels: yes" in (
        done.stdout
    )
    assert "the same parcel states and events as the floor: yes" in done.stdout
    assert "every supplier scored once, told once: yes" in done.stdout
    assert "smooth processes (flat and seasonal): mean MASE" in done.stdout
    assert "a re-run of the chunk leaves the same proposals: yes" in done.stdout
    assert "the same signals as the floor: yes" in done.stdout
