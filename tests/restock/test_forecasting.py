"""The forecasting engine, pure (numpy + statsforecast): classification, the method of each
pattern, the fallback, MASE, safety stock, trending."""

from __future__ import annotations

import time

import numpy as np
import pytest
from statsforecast.models import CrostonSBA

from bench.demand_data import generate
from restock.services import forecasting as fc

DAYS = 180


def _smooth(level: float = 6.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).poisson(level, DAYS)


def _intermittent(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(DAYS) < 0.2) * (1 + rng.poisson(1.0, DAYS))


def _lumpy(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(DAYS) < 0.2) * (1 + rng.negative_binomial(0.8, 0.8 / 10.8, DAYS))


def _erratic(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 1 + rng.negative_binomial(0.8, 0.8 / 10.8, DAYS)


def test_classification_by_adi_and_cv2():
    rows = np.vstack([_smooth(), _erratic(), _intermittent(), _lumpy(), np.zeros(DAYS)])
    pattern, adi, cv2 = fc.classify(rows)
    assert pattern == ["smooth", "erratic", "intermittent", "lumpy", "none"]
    assert adi[0] < 1.32
    assert cv2[0] < 0.49
    assert adi[2] >= 1.32
    assert cv2[2] < 0.49
    assert np.isnan(adi[4])
    assert np.isnan(cv2[4])


def test_classification_counts_from_the_first_demand():
    """A listing that started selling 60 days ago, every day, is smooth: the days before its
    first sale are not gaps between demands."""
    series = np.zeros(DAYS)
    series[-60:] = 5
    pattern, adi, cv2 = fc.classify(series[None, :])
    assert pattern == ["smooth"]
    assert adi[0] == 1.0
    assert cv2[0] == 0.0


def test_adi_and_cv2_on_a_hand_example():
    # From its first demand: 8 days, 4 with demand (2, 4, 2, 4): ADI 2; mean 3, variance 1.
    series = np.array([0, 0, 2, 0, 4, 0, 2, 0, 4, 0])
    _pattern, adi, cv2 = fc.classify(series[None, :])
    assert adi[0] == pytest.approx(2.0)
    assert cv2[0] == pytest.approx(1 / 9)


def test_the_method_of_each_pattern():
    rows = np.vstack([_smooth(), _erratic(), _intermittent(), _lumpy(), np.zeros(DAYS)])
    result = fc.forecast_demand(rows, horizons=[18] * 5, service_level=0.95)
    assert result.method == ["SeasESOpt", "SeasESOpt", "CrostonSBA", "ADIDA", "none"]
    assert not result.fallback.any()
    assert (result.daily >= 0).all()
    # No demand: nothing to forecast, nothing to keep.
    assert result.demand_over_lead[4] == 0
    assert result.safety[4] == 0
    assert result.safety_method[4] == "none: no demand"


def test_a_series_too_short_to_fit_falls_back_to_the_historic_average():
    series = np.zeros(DAYS)
    series[-5:] = [3, 0, 3, 0, 3]  # five days since its first demand
    result = fc.forecast_demand(series[None, :], horizons=[10], service_level=0.95)
    assert result.fallback[0]
    assert result.method[0] == "HistoricAverage"
    assert result.daily[0, :10] == pytest.approx([1.8] * 10)
    assert np.isnan(result.mase[0])  # no backtest
    assert "too little history" in result.safety_method[0]


def test_a_series_the_model_cannot_fit_falls_back_and_is_recorded(monkeypatch):
    """A model raising on one series (StatsForecast's fallback_model takes it) is recorded as a
    fallback for that series only."""

    class Fragile(CrostonSBA):
        def forecast(self, y, h, *args, **kwargs):  # type: ignore[no-untyped-def]
            if y[-1] == 7:
                raise ValueError("cannot fit")
            return super().forecast(y, h, *args, **kwargs)

    original = fc._model
    monkeypatch.setattr(fc, "_model", lambda m: Fragile() if m == fc.CROSTON_SBA else original(m))
    good = _intermittent(1).astype(float)
    good[-1] = 1
    bad = _intermittent(2).astype(float)
    bad[-1] = 7
    result = fc.forecast_demand(np.vstack([good, bad, good]), horizons=[5] * 3, service_level=0.9)
    assert result.method == ["CrostonSBA", "HistoricAverage", "CrostonSBA"]
    assert result.fallback.tolist() == [False, True, False]
    assert result.daily[1, 0] == pytest.approx(bad[np.argmax(bad > 0) :].mean())


def test_a_constant_series_is_forecast_as_itself_without_a_mase():
    """Constant demand: the seasonal-naive error is zero, so MASE means nothing (None), and
    the forecast has no error, so no safety stock."""
    result = fc.forecast_demand(np.full((1, DAYS), 4), horizons=[18], service_level=0.95)
    assert result.pattern == ["smooth"]
    assert result.daily[0, :18] == pytest.approx([4.0] * 18)
    assert result.demand_over_lead[0] == pytest.approx(72.0)
    assert np.isnan(result.mase[0])
    assert result.safety[0] == pytest.approx(0.0)


def test_mase_on_a_hand_example():
    # Training days: each day one more than a week before: the seasonal-naive error is 1.
    train = np.array([[1, 2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6, 7, 8]], dtype=float)
    actual = np.array([[5.0, 5.0]])
    forecast = np.array([[4.0, 7.0]])
    # Mean absolute error (1 + 2) / 2 = 1.5, over the naive's 1.
    assert fc.mase(actual, forecast, train, np.array([0]))[0] == pytest.approx(1.5)
    # Training history shorter than two weeks (from the first demand): no MASE.
    assert np.isnan(fc.mase(actual, forecast, train, np.array([1]))[0])


def test_mase_scales_by_the_history_from_the_first_demand_only():
    train = np.array([[0, 0, 0, 0, 0, 0, 0] + [2, 4] * 10 + [2]], dtype=float)
    # History from column 7: only the differences whose both days are inside it count.
    diffs = np.abs(train[0, 14:] - train[0, 7:-7])
    expected_scale = diffs.mean()
    got = fc.mase(np.array([[3.0]]), np.array([[3.0 + expected_scale]]), train, np.array([7]))
    assert got[0] == pytest.approx(1.0)


def test_safety_stock_is_never_negative_and_grows_with_the_error():
    rng = np.random.default_rng(3)
    errors = rng.normal(0, 2, (1, 28))
    lead = np.array([18])
    base = fc.safety_from_errors(errors, lead, 0.95)[0]
    assert base > 0
    assert fc.safety_from_errors(errors * 3, lead, 0.95)[0] == pytest.approx(base * 3)
    assert fc.safety_from_errors(np.zeros((1, 28)), lead, 0.95)[0] == 0
    # A forecast too high all along (negative errors): still not below zero.
    assert fc.safety_from_errors(np.full((1, 28), -5.0), lead, 0.95)[0] >= 0
    # A higher service level keeps more.
    assert fc.safety_from_errors(errors, lead, 0.99)[0] > base
    # Deterministic: the same errors give the same safety stock (a re-run proposes the same).
    assert fc.safety_from_errors(errors, lead, 0.95)[0] == base


def test_safety_stock_for_a_lead_time_longer_than_the_backtest():
    errors = np.random.default_rng(4).normal(0, 1, (1, 28))
    short, long = fc.safety_from_errors(np.vstack([errors, errors]), np.array([18, 60]), 0.95)
    assert long > short > 0


def test_safety_stock_includes_the_level_error_of_the_backtest():
    """A forecast 2 units a day too low over the backtest: at least 2 x L of safety."""
    errors = np.full((1, 28), 2.0)
    assert fc.safety_from_errors(errors, np.array([10]), 0.95)[0] == pytest.approx(20.0)


def test_trending_is_the_7_day_rate_over_3_times_the_previous_28():
    flat = np.full(DAYS, 2)
    stepped = flat.copy()
    stepped[-7:] = 7  # 3.5 x
    slightly = flat.copy()
    slightly[-7:] = 6  # exactly 3 x: not over
    new = np.zeros(DAYS)
    new[-3:] = 1  # nothing in the 28 days before, some now
    result = fc.forecast_demand(
        np.vstack([flat, stepped, slightly, new]), horizons=[18] * 4, service_level=0.95
    )
    assert result.trending.tolist() == [False, True, False, True]
    assert result.rate_7d[1] == pytest.approx(7.0)
    assert result.rate_28d[1] == pytest.approx(2.0)


def test_last_demand_column():
    series = np.zeros((2, DAYS))
    series[0, 100] = 1
    result = fc.forecast_demand(series, horizons=[18, 18], service_level=0.95)
    assert result.last_demand.tolist() == [100, -1]


def test_two_thousand_series_take_well_under_a_few_seconds():
    generated = generate(2000, DAYS, seed=1)
    started = time.perf_counter()
    result = fc.forecast_demand(generated.history, horizons=[18] * 2000, service_level=0.95)
    assert time.perf_counter() - started < 5  # about 0.6 s on a quiet 2-core machine
    smooth = np.isin(generated.kind, ["smooth", "seasonal"])
    assert np.nanmean(result.mase[smooth]) < 1


def test_no_series_at_all():
    result = fc.forecast_demand(np.zeros((0, DAYS)), horizons=[], service_level=0.95)
    assert result.method == []
    assert result.daily.shape[0] == 0
