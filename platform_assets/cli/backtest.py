"""`platform-assets backtest`: retraining policies compared on the year, as tables and a plot.

Reads the feature table of PLATFORM_DATA_DIR (a year of features: after `make demo`, or a
full-year backfill) and writes `reports/backtest.md` and `reports/backtest_daily.csv`.
With `--tune`, it first runs every variant on April to June only and picks one by the rule
below (`choose_variant`), the rule the default policy in `models.yaml` was chosen by.
Every policy under the same training window serves from the same first model (a variant
with another window starts from that window's), and every retrain, monthly included, goes
through the same promotion gate; each is compared with never and with monthly retraining
by the paired difference of mean daily metric, with a week-block interval
(`compare_policies`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date

import pandas as pd

from platform_assets.lib.ml.spec import ModelSpec, RetrainingPolicy, load_model_specs
from platform_assets.lib.monitoring.backtest import BacktestResult, compare_policies, run_backtest
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.table_summary import markdown_table
from platform_assets.lib.warehouse import connect

FIRST_DAY = date(2013, 4, 1)  # the first model is trained on January to March
LAST_DAY = date(2013, 12, 31)
TUNING_LAST_DAY = date(2013, 6, 30)
SECOND_HALF = (date(2013, 7, 1), LAST_DAY)
CONFIDENCE = 0.95  # of the week-block intervals between policies
# The rule: among the signal variants that retrained no more often than monthly on April to
# June (every variant, if none did), those within this much of the best mean daily metric; of
# those, the fewest retrains; then the first listed (the simpler).
NEAR_BEST = {"roc_auc": 0.002, "mae": 0.2}

# Signal variants by promotion metric, in the metric's own units (a day's AUC varies by about
# 0.03, a day's MAE by about 3 minutes).
SIGNALS = {
    "roc_auc": {
        "drift 0.5 for 3 days": dict(drift_share_at_least=0.5, for_consecutive_days=3),
        "performance drop 0.02": dict(performance_drop_of=0.02),
        "Page-Hinkley 0.1": dict(page_hinkley_threshold=0.1, page_hinkley_delta=0.005),
        "Page-Hinkley 0.25": dict(page_hinkley_threshold=0.25, page_hinkley_delta=0.005),
    },
    "mae": {
        "drift 0.5 for 3 days": dict(drift_share_at_least=0.5, for_consecutive_days=3),
        "performance drop 2 min": dict(performance_drop_of=2.0),
        "Page-Hinkley 10": dict(page_hinkley_threshold=10.0, page_hinkley_delta=0.5),
        "Page-Hinkley 25": dict(page_hinkley_threshold=25.0, page_hinkley_delta=0.5),
    },
}
# Training windows: the shipped rolling 90 days, and every day so far with recent days
# weighing more (a flight 30 days older than the held-out days counts half).
WINDOWS = {
    "rolling 90 days": dict(training_window_days=90, recency_half_life_days=None),
    "expanding, half-life 30 days": dict(
        training_window_days=366, min_training_days=90, recency_half_life_days=30.0
    ),
}
BASE_WINDOW = "rolling 90 days"
HEADER = ["policy", "mean daily", "vs never [95% CI]", "vs monthly [95% CI]", "retrains",
          "promoted", "seconds"]  # fmt: skip


def _features(spec: ModelSpec) -> list[str]:
    from platform_assets.defs.ml.ml_context import feature_catalog, feature_roles
    from platform_assets.lib.ml.features import resolve_features

    return resolve_features(spec, feature_roles(), feature_catalog())


def variants(spec: ModelSpec) -> dict[str, tuple[str, ModelSpec]]:
    """Every signal variant under every training window: name -> (policy kind, spec)."""
    quiet = RetrainingPolicy(cooldown_days=spec.retraining.cooldown_days)
    return {
        f"{signal}, {window}": (
            "signal",
            replace(spec, retraining=replace(quiet, **changes), **window_changes),
        )
        for window, window_changes in WINDOWS.items()
        for signal, changes in SIGNALS[spec.promotion.metric].items()
    }


def _difference_cell(result: BacktestResult, other: BacktestResult, between) -> str:
    compared = compare_policies(result, other, CONFIDENCE, between)
    return f"{compared.difference:+.4f} [{compared.low:+.4f}, {compared.high:+.4f}]"


def _rows(results: dict[str, tuple[BacktestResult, float]], between=None) -> list[tuple]:
    never, monthly = results["never"][0], results["monthly"][0]
    return [
        (
            name,
            round(result.mean_daily_between(between), 4),
            "—" if result is never else _difference_cell(result, never, between),
            "—" if result is monthly else _difference_cell(result, monthly, between),
            len(result.retrains_between(between)),
            sum(r.promoted for r in result.retrains_between(between)),
            round(seconds),
        )
        for name, (result, seconds) in results.items()
    ]


def choose_variant(spec: ModelSpec, results: dict[str, tuple[BacktestResult, float]]) -> str:
    """The written rule (NEAR_BEST), applied to April-June results."""
    higher = spec.promotion.higher_is_better
    monthly_retrains = len(results["monthly"][0].retrains)
    signals = {
        name: result for name, (result, _) in results.items() if name not in ("never", "monthly")
    }
    eligible = {
        name: result for name, result in signals.items() if len(result.retrains) <= monthly_retrains
    } or signals
    best = (max if higher else min)(result.mean_daily for result in eligible.values())
    near = [
        name
        for name, result in eligible.items()
        if abs(result.mean_daily - best) <= NEAR_BEST[spec.promotion.metric]
    ]
    return min(near, key=lambda name: len(eligible[name].retrains))


def _run(connection, spec, features, kind, last_day, settings) -> tuple[BacktestResult, float]:
    started = time.perf_counter()
    result = run_backtest(
        connection, spec, features, kind, FIRST_DAY, last_day, spec.retraining, settings
    )
    seconds = time.perf_counter() - started
    # progress for a run that takes an hour: one line per policy
    print(
        f"{spec.name} {kind} to {last_day}: mean daily {result.mean_daily:.4f}, "
        f"{len(result.retrains)} retrains, {seconds:.0f} s",
        flush=True,
    )
    return result, seconds


def _baselines(connection, spec, features, last_day, settings) -> dict:
    base = replace(spec, **WINDOWS[BASE_WINDOW])
    return {
        kind: _run(connection, base, features, kind, last_day, settings)
        for kind in ("never", "monthly")
    }


def _section(spec: ModelSpec, title: str, rows: list[tuple]) -> str:
    better = "higher" if spec.promotion.higher_is_better else "lower"
    return (
        f"### {spec.name}: {title} ({spec.promotion.metric}, {better} is better)\n\n"
        + markdown_table(HEADER, rows)
    )


def tune(connection, spec: ModelSpec, settings) -> tuple[str, str]:
    """Every variant on April-June only: the markdown table and the variant the rule picks."""
    features = _features(spec)
    results = _baselines(connection, spec, features, TUNING_LAST_DAY, settings)
    for name, (kind, variant) in variants(spec).items():
        results[name] = _run(connection, variant, features, kind, TUNING_LAST_DAY, settings)
    table = _section(spec, f"{FIRST_DAY} .. {TUNING_LAST_DAY}", _rows(results))
    print(table, flush=True)
    chosen = choose_variant(spec, results)
    return f"{table}\n\nThe rule picks **{chosen}**.", chosen


def backtest(connection, spec: ModelSpec, settings, chosen: str | None, daily_rows: list) -> str:
    """Never, monthly and the chosen variant (or the configured policy) over April-December,
    reported on April-December and on July-December."""
    from platform_assets.lib.ml.plots import time_series_markdown

    features = _features(spec)
    results = _baselines(connection, spec, features, LAST_DAY, settings)
    label, (kind, policy_spec) = (
        (chosen, variants(spec)[chosen]) if chosen else ("configured", ("signal", spec))
    )
    results[label] = _run(connection, policy_spec, features, kind, LAST_DAY, settings)
    weekly = {}
    for name, (result, _) in results.items():
        daily = pd.Series(result.daily)
        weekly[name] = daily.rolling(7, min_periods=1).mean().tolist()
        daily_rows += [(spec.name, name, day, value) for day, value in result.daily.items()]
    retrains = [(r.day, r.reason, r.promoted) for r in results[label][0].retrains]
    plot = time_series_markdown(
        list(daily.index), weekly, f"{spec.name}: 7-day mean", spec.promotion.metric
    )
    return "\n\n".join(
        [
            _section(spec, f"{FIRST_DAY} .. {LAST_DAY}", _rows(results)),
            _section(spec, f"{SECOND_HALF[0]} .. {SECOND_HALF[1]}", _rows(results, SECOND_HALF)),
            f"Retrains of {label}:",
            markdown_table(["day", "reason", "promoted"], retrains),
            plot,
        ]
    )


def write_backtest(paths: DataPaths, with_tuning: bool, models: list[str] | None = None) -> str:
    """Run (and optionally tune) the models (default: all), save reports/backtest.md, return
    the text."""
    from platform_assets.lib.monitoring.drift import configured_drift_settings

    settings = configured_drift_settings()
    paths.reports.mkdir(parents=True, exist_ok=True)
    parts, daily_rows = [f"# Retraining policies on {FIRST_DAY} .. {LAST_DAY}"], []
    with connect(paths.warehouse, read_only=True) as connection:
        specs = load_model_specs()
        unknown = sorted(set(models or []) - set(specs))
        if unknown:
            raise ValueError(f"No declared model {unknown}; declared: {sorted(specs)}.")
        for spec in specs.values():
            if models and spec.name not in models:
                continue
            chosen = None
            if with_tuning:
                table, chosen = tune(connection, spec, settings)
                parts.append(f"## {spec.name}: tuning on April to June only\n\n{table}")
            parts.append(
                f"## {spec.name}: April to December\n\n"
                + backtest(connection, spec, settings, chosen, daily_rows)
            )
            (paths.reports / "backtest.md").write_text("\n\n".join(parts) + "\n")
    pd.DataFrame(daily_rows, columns=["model", "policy", "day", "value"]).to_csv(
        paths.reports / "backtest_daily.csv", index=False
    )
    return "\n\n".join(parts) + "\n"
