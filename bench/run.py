"""Runs every benchmark under bench/ and prints its figures: `make bench`.

Benchmarks run on the database DATABASE_URL names (PostgreSQL for figures worth quoting), in a
throwaway test database they create and drop, so the development data is never touched.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

BENCHMARKS = [
    "bench.api_requests",
    "bench.ledger_balances",
    "bench.jit_sweep",
    "bench.stock_ledger",
    "bench.admin_pages",
    "bench.compliance_answer",
    "bench.customs_decisions",
    "bench.tracking_events",
    "bench.scorecards",
    "bench.restock_accuracy",
    "bench.demand_ingest",
    "bench.restock_nightly",
]


def main(names: list[str]) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        for name in names or BENCHMARKS:
            print(f"\n== {name}")
            importlib.import_module(name).run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(sys.argv[1:])
