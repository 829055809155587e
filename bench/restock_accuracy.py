"""Forecast accuracy on demand of a known process (issue 14, "Benchmark"); run by `make bench`.

1. BENCH_RESTOCK_SERIES series (default 10,000) of bench/demand_data.py's mix (smooth, weekly
   seasonal, intermittent, lumpy, trending) with 180 days of history and 60 days of future;
2. restock.services.forecasting.forecast_demand over the history, as the planner calls it
   (replenishment time 18 days, 95% service level), timed: ms a series;
3. the backtest's mean MASE (last 28 days against the seasonal-naive scaling) by known process
   and by the pattern the classifier found. Goal: smooth series < 1 (better than seasonal
   naive); intermittent reported;
4. the smooth methods compared on flat, mildly seasonal (+-10-30%) and strongly seasonal
   (+-40-60%) smooth series: what the choice in forecasting.py's docstring rests on;
5. service level achieved: how often the future's demand over the replenishment time is
   within forecast + safety stock (goal: about the 95% asked for; trending series excluded,
   since their future level is the stepped-up one the backtest has barely seen);
6. one planning chunk on the database: BENCH_RESTOCK_CHUNK listings (default 2,000, the
   default chunk) seeded with 180 days of signals by COPY, `plan_chunk` timed with its query
   count, then run again: the same proposals (idempotent) and the same number of queries.
"""

from __future__ import annotations

import os
import time

import numpy as np

LEAD = 18


def _smooth_series(n: int, swing: tuple[float, float], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(180)
    level = rng.uniform(2, 20, n)
    amplitude = rng.uniform(*swing, n)
    phase = rng.integers(0, 7, n)
    mu = level[:, None] * (
        1 + amplitude[:, None] * np.sin(2 * np.pi * (t[None, :] + phase[:, None]) / 7)
    )
    return rng.negative_binomial(20, 20 / (20 + mu))


def run() -> None:
    from bench.demand_data import generate
    from restock.services import forecasting as fc

    n = int(os.environ.get("BENCH_RESTOCK_SERIES", "10000"))
    generated = generate(n, 180, future=60, seed=14)
    started = time.perf_counter()
    result = fc.forecast_demand(generated.history, horizons=np.full(n, LEAD), service_level=0.95)
    elapsed = time.perf_counter() - started
    print(
        f"forecast + backtest + safety stock: {n} series x 180 days in {elapsed:.2f} s "
        f"({elapsed / n * 1000:.3f} ms a series); smooth method {fc.SMOOTH_METHOD}"
    )
    pattern = np.array(result.pattern)
    print("mean MASE by known process (series with a backtest):")
    figures: dict[str, float] = {}
    for kind in ("smooth", "seasonal", "intermittent", "lumpy", "trending"):
        rows = generated.kind == kind
        if not rows.any():
            continue
        found = dict(zip(*np.unique(pattern[rows], return_counts=True), strict=True))
        figures[kind] = float(np.nanmean(result.mase[rows]))
        print(
            f"  {kind:<13} {figures[kind]:.3f}  ({rows.sum()} series; classified "
            + ", ".join(f"{k} {v}" for k, v in sorted(found.items()))
            + ")"
        )
    print("mean MASE by classified pattern:")
    for name in ("smooth", "erratic", "intermittent", "lumpy"):
        rows = pattern == name
        if rows.any():
            print(f"  {name:<13} {np.nanmean(result.mase[rows]):.3f}  ({rows.sum()} series)")
    smooth = np.isin(generated.kind, ["smooth", "seasonal"])
    smooth_mase = float(np.nanmean(result.mase[smooth]))
    print(f"smooth processes (flat and seasonal): mean MASE {smooth_mase:.3f} (goal < 1)")
    assert smooth_mase < 1, "smooth series must beat seasonal naive"

    print("smooth methods compared (mean MASE):")
    size = max(n // 5, 200)
    for label, swing in (("flat", (0.0, 0.0)), ("+-10-30%", (0.1, 0.3)), ("+-40-60%", (0.4, 0.6))):
        series = _smooth_series(size, swing, seed=int(swing[1] * 100))
        scores = []
        for method in (fc.SES, fc.SEASONAL_ES):
            compared = fc.forecast_demand(
                series, horizons=np.full(size, LEAD), service_level=0.95, smooth_method=method
            )
            scores.append(f"{method} {np.nanmean(compared.mase):.3f}")
        print(f"  {label:<9} " + "  ".join(scores))

    actual = generated.future[:, :LEAD].sum(axis=1)
    cover = result.demand_over_lead + result.safety
    steady = (generated.kind != "trending") & ~np.isnan(result.mase)
    print("service level achieved (future demand over the lead time <= forecast + safety):")
    for kind in ("smooth", "seasonal", "intermittent", "lumpy"):
        rows = steady & (generated.kind == kind)
        if rows.any():
            print(f"  {kind:<13} {np.mean(actual[rows] <= cover[rows]) * 100:.1f}%")
    print(f"  all           {np.mean(actual[steady] <= cover[steady]) * 100:.1f}% (asked 95%)")
    _chunk(int(os.environ.get("BENCH_RESTOCK_CHUNK", "2000")))


def _chunk(n: int) -> None:
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.demand_data import copy_signals, generate, seed_listings
    from marketplace.formatting import suppliers_today
    from restock.models import RestockProposal
    from restock.services.planning import plan_chunk

    ids = seed_listings(n)
    today = suppliers_today()
    copy_signals(ids, generate(n, 180, seed=9).history, end_day=today - timedelta(days=1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE restock_demandsignal")
    first, last = int(ids[0]), int(ids[-1])

    def decisions() -> list[tuple[object, ...]]:
        return list(
            RestockProposal.objects.filter(listing_id__gte=first, listing_id__lte=last)
            .order_by("listing_id")
            .values_list("listing_id", "status", "quantity", "urgent")
        )

    timings = []
    counts = []
    outcomes = []
    for _attempt in range(2):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            opened = plan_chunk(None, first, last, today=today)
        timings.append(time.perf_counter() - started)
        counts.append(len(queries))
        outcomes.append(decisions())
    print(
        f"one chunk of {n:,} listings x 180 days: {timings[0]:.2f} s, {counts[0]} queries, "
        f"{opened:,} open proposals; again: {timings[1]:.2f} s, {counts[1]} queries"
    )
    same = outcomes[0] == outcomes[1] and len(outcomes[0]) == opened
    print(f"a re-run of the chunk leaves the same proposals: {'yes' if same else 'NO'}")
