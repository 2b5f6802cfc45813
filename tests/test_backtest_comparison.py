"""Comparing retraining policies: paired by day, intervals from whole weeks, the written rule."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from platform_assets.cli.backtest import choose_variant
from platform_assets.lib.ml.daily_comparison import block_bootstrap_interval
from platform_assets.lib.ml.evaluation import GateDecision
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.monitoring.backtest import BacktestResult, Retrain, compare_policies

DAYS = [date(2013, 4, 1) + timedelta(days=i) for i in range(91)]


def _result(name: str, values, retrains: int = 0) -> BacktestResult:
    gate = GateDecision(True, "promoted")
    return BacktestResult(
        name,
        daily=dict(zip(DAYS, values, strict=True)),
        retrains=[Retrain(DAYS[i], "signal", gate) for i in range(retrains)],
    )


def test_a_steady_gain_has_an_interval_above_zero_and_week_blocks_widen_it():
    rng = np.random.default_rng(0)
    weekly_weather = np.repeat(rng.normal(scale=0.03, size=13), 7)  # a week's days move together
    never = 0.65 + weekly_weather + rng.normal(scale=0.01, size=91)
    better = never + 0.01 + rng.normal(scale=0.005, size=91)

    compared = compare_policies(_result("signal", better), _result("never", never))

    assert compared.difference == pytest.approx(float(np.mean(better - never)))
    assert 0 < compared.low < compared.difference < compared.high
    assert (compared.days, compared.weeks) == (91, 13)  # from Monday 2013-04-01: 13 weeks
    same = compare_policies(_result("never", never), _result("never", never))
    assert same.difference == same.low == same.high == 0

    # a difference that moves by the week: days resampled alone would understate its spread
    by_week = compare_policies(_result("a", never + weekly_weather), _result("b", never))
    low, high = block_bootstrap_interval(weekly_weather, np.arange(91), 0.95)
    assert by_week.high - by_week.low > 2 * (high - low)


def test_comparison_between_two_dates_uses_only_those_days():
    never = np.full(91, 0.65)
    later_gain = np.where(np.array(DAYS) >= date(2013, 6, 1), 0.67, 0.65)
    second_part = (date(2013, 6, 1), date(2013, 6, 30))

    compared = compare_policies(_result("s", later_gain), _result("n", never), 0.95, second_part)

    assert compared.days == 30 and compared.difference == pytest.approx(0.02)
    assert _result("s", later_gain).mean_daily_between(second_part) == pytest.approx(0.67)


def test_the_rule_takes_the_fewest_retrains_among_variants_near_the_best():
    spec = load_model_specs()["delay_classifier"]  # roc_auc: near means within 0.002
    flat = np.full(91, 0.65)
    results = {
        "never": (_result("never", flat), 0),
        "monthly": (_result("monthly", flat + 0.004, retrains=3), 0),
        "best, busy": (_result("a", flat + 0.006, retrains=2), 0),
        "near, quiet": (_result("b", flat + 0.0045, retrains=1), 0),
        "far, quieter": (_result("c", flat + 0.001, retrains=0), 0),
        "best, too busy": (_result("d", flat + 0.01, retrains=4), 0),  # more than monthly
    }
    assert choose_variant(spec, results) == "near, quiet"
    # when every variant retrained more often than monthly, all of them are judged
    busy = {name: entry for name, entry in results.items() if name in ("never", "monthly")}
    busy["busier"] = (_result("e", flat + 0.006, retrains=5), 0)
    busy["busiest"] = (_result("f", flat + 0.007, retrains=6), 0)
    assert choose_variant(spec, busy) == "busier"
