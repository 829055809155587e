"""Daily demand forecasts for many listings at once: pure numpy and statsforecast, no models.

What it does, for a matrix of daily demand (one row a listing, the last column yesterday):

1. **Classify** each series by its Syntetos-Boylan-Croston class over its history (from its
   first day of demand: days before a listing's first sale say nothing about it): ADI, the
   mean interval between days with demand (days / days with demand), and CV², the squared
   coefficient of variation of the non-zero days. ADI < 1.32 and CV² < 0.49: smooth; ADI < 1.32,
   CV² >= 0.49: erratic; ADI >= 1.32, CV² < 0.49: intermittent; both over: lumpy; no demand at
   all: none.
2. **Forecast** each class with statsforecast's model for it (StatsForecast(models=[...],
   freq="D", n_jobs=1): in-process, one series after another, no child processes, which a
   Celery prefork worker must not fork):
   - smooth and erratic: exponential smoothing of each weekday's level, its smoothing weight
     optimised per series (`SeasonalExponentialSmoothingOptimized(season_length=7)`,
     statsforecast's "SeasESOpt"), rather than simple exponential smoothing ("SESOpt"). Why:
     on the known-process data of bench/demand_data.py both beat seasonal naive when demand is
     flat or swings mildly over the week (mean MASE about 0.72 vs 0.76 flat, 0.78 vs 0.77 with a
     +-10-30% weekly swing), but with a strong weekly swing (+-40-60%) SES is no better than
     seasonal naive (MASE 1.02) while the seasonal one stays at 0.76. The seasonal method costs
     a few percent where there is no season and keeps the bar (better than seasonal naive)
     where there is one; SES does not. bench/restock_accuracy.py prints these figures.
   - intermittent: Croston with the Syntetos-Boylan approximation (`CrostonSBA`): sizes and
     intervals smoothed apart, debiased.
   - lumpy: `ADIDA` (aggregate-disaggregate intermittent demand), which forecasts the
     aggregated series, where the lumps average out, and spreads it back over the days.
   - none: zero, nothing to fit.
   A series a model cannot fit falls back to the historic average (`HistoricAverage`), and the
   forecast says so (`fallback`): a series too short to fit (under MIN_FIT_DAYS days since its
   first demand), a model that raises (StatsForecast's own `fallback_model`, whose calls are
   counted here so that each one is known), or a forecast that is not a finite non-negative
   number (the seasonal model on a series shorter than two weeks gives NaN).
3. **Backtest**: the same method fitted on all but the last `backtest_days` (28), forecasting
   them; MASE = the forecast's mean absolute error over those days / the mean absolute
   in-sample one-step error of the seasonal-naive forecast (season 7) over the training days
   (Hyndman and Koehler's scaling). None with less than MIN_BACKTEST_TRAIN days of training
   history, or when the naive error is zero (a constant history: the ratio means nothing).
4. **Safety stock** for the service level, from the backtest's errors over the lead time:
   intermittent methods give point forecasts only, so the spread comes from how wrong the
   method was on the listing's own last 28 days. Two parts, added:
   - the spread: the daily errors (actual - forecast) of the backtest, centred on their mean,
     resampled L days at a time (a bootstrap: BOOTSTRAP_DRAWS sums of L days drawn with
     replacement, the same draws for every series, seeded, so a re-run gives the same answer);
     its quantile at the service level;
   - the level: L x the absolute mean daily error of the backtest. One backtest shows the
     forecast's level error once; the next forecast's may go either way, so it is added
     whichever its sign (left in the resampled errors, a negative one would cancel the safety
     stock, a positive one would be counted only that way).
   Resampling days makes any lead time work, also one longer than the 28 days. Without a
   backtest (too little history) the safety stock is the normal quantile at the service level
   x the standard deviation of daily demand x sqrt(L). Never negative. On the known processes
   of bench/demand_data.py this covers the next L days' demand about 96% of the time at the 95%
   asked (smooth, seasonal and intermittent 96-97%, lumpy 90%); the rolling sums of the 28
   days' errors over L-day windows, tried first, covered only 70%: 11 windows sharing most of
   their days are one draw, not a distribution. Each listing's method is stated in words.

Everything is vectorised across series except statsforecast's own loop over them (about 40 µs
a series and model); a chunk of 2,000 listings x 180 days takes a fraction of a second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import (
    ADIDA,
    CrostonSBA,
    HistoricAverage,
    SeasonalExponentialSmoothingOptimized,
    SimpleExponentialSmoothingOptimized,
)

from .. import methods

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

ADI_CUT = 1.32
CV2_CUT = 0.49
SEASON = 7
# Fewer days of history since the first demand than this: too short for a model to fit.
MIN_FIT_DAYS = 14
# Fewer training days than this before the backtest window: no MASE (two seasons for the
# seasonal-naive scaling to mean anything).
MIN_BACKTEST_TRAIN = 2 * SEASON

SMOOTH = "smooth"
ERRATIC = "erratic"
INTERMITTENT = "intermittent"
LUMPY = "lumpy"
NONE = "none"

# The method of each pattern, as statsforecast names it (the Forecast's `method`).
# The methods' codes and their words are restock.methods' (re-exported here).
SES = methods.SES
SEASONAL_ES = methods.SEASONAL_ES
CROSTON_SBA = methods.CROSTON_SBA
ADIDA_METHOD = methods.ADIDA_METHOD
HISTORIC_AVERAGE = methods.HISTORIC_AVERAGE
NO_DEMAND = methods.NO_DEMAND
FALLBACK_METHOD = HISTORIC_AVERAGE

# Chosen on bench/demand_data.py's known processes: see the module's docstring.
SMOOTH_METHOD = SEASONAL_ES

METHOD_OF_PATTERN = {
    SMOOTH: SMOOTH_METHOD,
    ERRATIC: SMOOTH_METHOD,
    INTERMITTENT: CROSTON_SBA,
    LUMPY: ADIDA_METHOD,
    NONE: NO_DEMAND,
}

# What each method is, in words (the proposal's arithmetic and the admin's lists name it; the
# codes stay in the API and the database).
METHOD_LABELS = methods.METHOD_LABELS


def _model(method: str) -> Any:
    if method == SES:
        return SimpleExponentialSmoothingOptimized()
    if method == SEASONAL_ES:
        return SeasonalExponentialSmoothingOptimized(season_length=SEASON)
    if method == CROSTON_SBA:
        return CrostonSBA()
    if method == ADIDA_METHOD:
        return ADIDA()
    if method == HISTORIC_AVERAGE:
        return HistoricAverage()
    raise ValueError(f"no model for {method!r}")


@dataclass
class Forecasts:
    """One entry a series, in the order of the input rows. NaN where a figure has no value
    (MASE without a backtest, ADI and CV² without demand)."""

    pattern: list[str]
    method: list[str]
    fallback: Bools
    daily: Floats  # [n, max horizon]; row i is meaningful over its first horizons[i] days
    horizons: Ints
    demand_over_lead: Floats
    mean_daily: Floats
    mase: Floats
    adi: Floats
    cv2: Floats
    safety: Floats
    safety_method: list[str]
    rate_7d: Floats
    rate_28d: Floats
    trending: Bools
    last_demand: Ints  # column of the last day with demand; -1 for none


def classify(demand: npt.NDArray[Any]) -> tuple[list[str], Floats, Floats]:
    """Each row's SBC pattern with its ADI and CV², counted from its first day of demand."""
    y = np.asarray(demand, dtype=np.float64)
    n, days = y.shape
    positive = y > 0
    count = positive.sum(axis=1)
    first = np.where(count > 0, positive.argmax(axis=1), days)
    length = days - first
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(count > 0, length / np.maximum(count, 1), np.nan)
        total = y.sum(axis=1)
        mean = total / np.maximum(count, 1)
        # Zero days add nothing to the sum of squares of the non-zero ones.
        second = (y * y).sum(axis=1) / np.maximum(count, 1)
        variance = np.maximum(second - mean * mean, 0.0)
        cv2 = np.where(count > 0, variance / np.where(mean > 0, mean * mean, 1.0), np.nan)
    pattern: list[str] = []
    for i in range(n):
        if count[i] == 0:
            pattern.append(NONE)
            continue
        frequent = adi[i] < ADI_CUT
        steady = cv2[i] < CV2_CUT
        pattern.append(
            SMOOTH
            if frequent and steady
            else ERRATIC
            if frequent
            else INTERMITTENT
            if steady
            else LUMPY
        )
    return pattern, adi, cv2


class _Recorder:
    """Counts which series the primary model failed on (StatsForecast's fallback is silent):
    with n_jobs=1 the series are forecast one after another, in order, so the fallback's calls
    are matched to the primary's."""

    def __init__(self, method: str) -> None:
        recorder = self

        class Primary(type(_model(method))):  # type: ignore[misc]
            def forecast(self, *args: Any, **kwargs: Any) -> Any:
                recorder.calls += 1
                return super().forecast(*args, **kwargs)

        class Fallback(HistoricAverage):
            def forecast(self, *args: Any, **kwargs: Any) -> Any:
                recorder.failed.append(recorder.calls - 1)
                return super().forecast(*args, **kwargs)

        self.calls = 0
        self.failed: list[int] = []
        self.primary = Primary(season_length=SEASON) if method == SEASONAL_ES else Primary()
        self.fallback = Fallback()


def _frame(y: Floats, starts: Ints) -> pd.DataFrame:
    """statsforecast's long frame: series i from column starts[i] on (its first demand)."""
    days = y.shape[1]
    mask = np.arange(days)[None, :] >= starts[:, None]
    rows, cols = np.nonzero(mask)
    base = np.datetime64("2000-01-01")
    return pd.DataFrame(
        {
            "unique_id": rows,
            "ds": base + cols.astype("timedelta64[D]"),
            "y": y[rows, cols],
        }
    )


def _run(method: str, y: Floats, starts: Ints, h: int) -> tuple[Floats, Bools]:
    """Forecasts [n, h] of `method` for each row (from its column starts[i]), and which rows
    fell back to the historic average."""
    n = len(y)
    out = np.zeros((n, h))
    fell = np.zeros(n, dtype=bool)
    if n == 0:
        return out, fell
    recorder = _Recorder(method)
    sf = StatsForecast(
        models=[recorder.primary], freq="D", n_jobs=1, fallback_model=recorder.fallback
    )
    result = sf.forecast(df=_frame(y, starts), h=h)
    _check_order(result, n, h)
    values = result.iloc[:, -1].to_numpy(dtype=np.float64).reshape(n, h)
    fell[recorder.failed] = True
    bad = ~np.isfinite(values).all(axis=1) | (values < 0).any(axis=1)
    if bad.any():
        values[bad] = _average(y[bad], starts[bad], h)
        fell |= bad
    out[:] = values
    return out, fell


def _check_order(result: pd.DataFrame, n: int, h: int) -> None:
    """The forecasts come back h rows a series, in the series' order (what the reshape and the
    fallback's count rely on)."""
    ids = result["unique_id"].to_numpy()
    if len(ids) != n * h or not (ids[::h] == np.arange(n)).all():
        raise RuntimeError("statsforecast returned the series out of order")


def _average(y: Floats, starts: Ints, h: int) -> Floats:
    n = len(y)
    if n == 0:
        return np.zeros((0, h))
    sf = StatsForecast(models=[HistoricAverage()], freq="D", n_jobs=1)
    result = sf.forecast(df=_frame(y, starts), h=h)
    _check_order(result, n, h)
    return np.asarray(result.iloc[:, -1].to_numpy(dtype=np.float64).reshape(n, h))


def _fit_all(
    y: Floats, starts: Ints, methods: Sequence[str], h: int
) -> tuple[Floats, Bools, list[str]]:
    """Forecasts for every row by its method (grouped: one StatsForecast a method)."""
    n = len(y)
    out = np.zeros((n, h))
    fell = np.zeros(n, dtype=bool)
    used = list(methods)
    method_array = np.array(methods, dtype=object)
    short = (y.shape[1] - starts) < MIN_FIT_DAYS
    for method in sorted(set(methods)):
        if method == NO_DEMAND:
            continue
        rows = np.nonzero((method_array == method) & ~short)[0]
        values, failed = _run(method, y[rows], starts[rows], h)
        out[rows] = values
        fell[rows] = failed
    too_short = np.nonzero(short & (method_array != NO_DEMAND))[0]
    if len(too_short):
        out[too_short] = _average(y[too_short], starts[too_short], h)
        fell[too_short] = True
    for i in np.nonzero(fell)[0]:
        used[i] = FALLBACK_METHOD
    return np.maximum(out, 0.0), fell, used


def mase(actual: Floats, forecast: Floats, train: Floats, train_starts: Ints) -> Floats:
    """MASE of each row: mean |actual - forecast| over the test days / mean |y[t] - y[t-7]|
    over the training days from train_starts[i] (the seasonal-naive in-sample one-step
    error). NaN where there are fewer than MIN_BACKTEST_TRAIN training days or the naive error
    is zero."""
    n, days = train.shape
    mae = np.abs(actual - forecast).mean(axis=1)
    if days <= SEASON:
        return np.full(n, np.nan)
    diffs = np.abs(train[:, SEASON:] - train[:, :-SEASON])
    # A difference counts when both of its days are inside the row's history.
    valid = (np.arange(SEASON, days)[None, :] - SEASON) >= train_starts[:, None]
    count = valid.sum(axis=1)
    scale = np.where(valid, diffs, 0.0).sum(axis=1) / np.maximum(count, 1)
    enough = (days - train_starts) >= MIN_BACKTEST_TRAIN
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(enough & (scale > 0), mae / np.where(scale > 0, scale, 1.0), np.nan)


BOOTSTRAP_DRAWS = 400


def safety_from_errors(errors: Floats, lead: Ints, level: float) -> Floats:
    """Safety stock of each row from its backtest errors (actual - forecast, [n, w] days) over
    its lead time lead[i]: the `level` quantile of L-day sums of the centred errors resampled
    with replacement, plus L x |mean error| (see the module's docstring); never negative."""
    n, width = errors.shape
    out = np.zeros(n)
    if n == 0 or width == 0:
        return out
    bias = errors.mean(axis=1)
    centred = errors - bias[:, None]
    for days in np.unique(lead):
        rows = np.nonzero(lead == days)[0]
        rng = np.random.default_rng(int(days))
        # How often each backtest day is drawn in each of the sums: [draws, width].
        picks = rng.integers(0, width, (BOOTSTRAP_DRAWS, int(days)))
        counts = np.zeros((BOOTSTRAP_DRAWS, width))
        np.add.at(counts, (np.arange(BOOTSTRAP_DRAWS)[:, None], picks), 1.0)
        sums = centred[rows] @ counts.T
        spread = np.maximum(np.quantile(sums, level, axis=1), 0.0)
        out[rows] = spread + days * np.abs(bias[rows])
    return np.maximum(out, 0.0)


def safety_method_text(lead: int, level: float, width: int, *, backtest: bool) -> str:
    percent = f"{level * 100:g}%"
    if not backtest:
        return (
            f"normal {percent} quantile x standard deviation of daily demand x sqrt({lead} days)"
            " (too little history for a backtest)"
        )
    return (
        f"{percent} quantile of the {width}-day backtest's daily errors resampled over "
        f"{lead} days, plus {lead} x the size of its mean daily error (the level error)"
    )


def forecast_demand(
    demand: npt.NDArray[Any],
    *,
    horizons: Sequence[int] | npt.NDArray[Any],
    service_level: float,
    backtest_days: int = 28,
    trending_days: int = 7,
    trending_base_days: int = 28,
    trending_factor: float = 3.0,
    smooth_method: str = SMOOTH_METHOD,
) -> Forecasts:
    """Forecasts, backtests and safety stocks for each row of `demand` ([n, days], the last
    column the latest day), row i over horizons[i] days. `smooth_method` is for the benchmark
    that compares the smooth methods."""
    y = np.asarray(demand, dtype=np.float64)
    if y.ndim != 2:
        raise ValueError("demand is a matrix [series, days]")
    n, days = y.shape
    lead = np.asarray(horizons, dtype=np.int64).reshape(n)
    h = int(lead.max()) if n else 1
    pattern, adi, cv2 = classify(y)
    positive = y > 0
    any_demand: Bools = np.asarray(positive.any(axis=1))
    starts = np.where(any_demand, positive.argmax(axis=1), days).astype(np.int64)
    chosen = {**METHOD_OF_PATTERN, SMOOTH: smooth_method, ERRATIC: smooth_method}
    methods = [chosen[p] for p in pattern]

    daily, fallback, used = _fit_all(y, starts, methods, h)
    within = np.arange(h)[None, :] < lead[:, None]
    demand_over_lead = np.where(within, daily, 0.0).sum(axis=1)
    mean_daily = demand_over_lead / np.maximum(lead, 1)

    # Backtest: the rows with enough history before the held-out days.
    train_days = days - backtest_days
    backtested: Bools = np.zeros(n, dtype=bool)
    score = np.full(n, np.nan)
    safety = np.zeros(n)
    if train_days > 0:
        backtested = np.asarray(any_demand & ((train_days - starts) >= MIN_BACKTEST_TRAIN))
    rows = np.nonzero(backtested)[0]
    if len(rows):
        train = y[rows, :train_days]
        actual = y[rows, train_days:]
        predicted, _fell, _used = _fit_all(
            train, starts[rows], [methods[i] for i in rows], backtest_days
        )
        score[rows] = mase(actual, predicted, train, starts[rows])
        safety[rows] = safety_from_errors(actual - predicted, lead[rows], service_level)
    others = np.nonzero(any_demand & ~backtested)[0]
    if len(others):
        z = NormalDist().inv_cdf(service_level)
        spread = np.array([y[i, starts[i] :].std() for i in others])
        safety[others] = np.maximum(z * spread * np.sqrt(lead[others]), 0.0)
    safety_method = [
        safety_method_text(int(lead[i]), service_level, backtest_days, backtest=bool(backtested[i]))
        if any_demand[i]
        else "none: no demand"
        for i in range(n)
    ]

    recent = y[:, days - trending_days :].sum(axis=1) / trending_days
    base_from = max(days - trending_days - trending_base_days, 0)
    base = y[:, base_from : days - trending_days].sum(axis=1) / trending_base_days
    trending = np.where(base > 0, recent > trending_factor * base, recent > 0)
    last_demand = np.where(any_demand, days - 1 - positive[:, ::-1].argmax(axis=1), -1)

    return Forecasts(
        pattern=pattern,
        method=used,
        fallback=fallback,
        daily=daily,
        horizons=lead,
        demand_over_lead=demand_over_lead,
        mean_daily=mean_daily,
        mase=score,
        adi=adi,
        cv2=cv2,
        safety=safety,
        safety_method=safety_method,
        rate_7d=recent,
        rate_28d=base,
        trending=trending,
        last_demand=last_demand.astype(np.int64),
    )


def day_of_column(end_day: date, days: int, column: int) -> date | None:
    """The date of a matrix column (the last column is end_day); None for -1."""
    if column < 0:
        return None
    return end_day - timedelta(days=days - 1 - column)


def z_of(level: float) -> float:
    return NormalDist().inv_cdf(level) if 0 < level < 1 else math.inf
