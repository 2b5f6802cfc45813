"""`platform-assets backtest`: retraining policies compared on the year, as a table and a plot.

Reads the feature table of PLATFORM_DATA_DIR (a year of features: after `make demo`, or a
full-year backfill) and writes `reports/backtest.md` and `reports/backtest_daily.csv`.
With `--tune`, it first compares a few signal-driven variants on the first half only
(April to June), the half the default policy in `models.yaml` was chosen on.
"""

from __future__ import annotations

import time
from datetime import date

import pandas as pd

from platform_assets.lib.ml.spec import ModelSpec, load_model_specs
from platform_assets.lib.monitoring.backtest import run_backtest, with_policy
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.table_summary import markdown_table
from platform_assets.lib.warehouse import connect

FIRST_DAY = date(2013, 4, 1)  # the first model is trained on January to March
LAST_DAY = date(2013, 12, 31)
TUNING_LAST_DAY = date(2013, 6, 30)
TUNING_VARIANTS = {
    "performance only": dict(drift_share_at_least=None, new_labelled_rows=None),
    "drift only": dict(
        performance_worse_than=None, performance_drop_of=None, new_labelled_rows=None
    ),
    "configured": {},
    "performance, cooldown 14": dict(
        drift_share_at_least=None, new_labelled_rows=None, cooldown_days=14
    ),
}


def _features(spec: ModelSpec) -> list[str]:
    from platform_assets.defs.ml.ml_context import feature_catalog, feature_roles
    from platform_assets.lib.ml.features import resolve_features

    return resolve_features(spec, feature_roles(), feature_catalog())


def _row(name: str, result, seconds: float) -> tuple:
    promoted = sum(1 for *_, p in result.retrains if p)
    return (name, round(result.mean_daily, 4), len(result.retrains), promoted, round(seconds))


def _run(connection, spec, features, policy_name, last_day, policy, settings):
    started = time.perf_counter()
    result = run_backtest(
        connection, spec, features, policy_name, FIRST_DAY, last_day, policy, settings
    )
    return result, time.perf_counter() - started


def tune(paths: DataPaths) -> str:
    """Signal-driven variants on April-June only; the markdown table of their results."""
    from platform_assets.lib.monitoring.drift import configured_drift_settings

    settings = configured_drift_settings()
    sections = []
    with connect(paths.warehouse, read_only=True) as connection:
        for spec in load_model_specs().values():
            features = _features(spec)
            rows = []
            for name, changes in TUNING_VARIANTS.items():
                policy = with_policy(spec, **changes)
                result, seconds = _run(
                    connection, spec, features, "signal", TUNING_LAST_DAY, policy, settings
                )
                rows.append(_row(name, result, seconds))
            sections.append(
                f"### {spec.name} ({spec.promotion.metric}), {FIRST_DAY} .. {TUNING_LAST_DAY}\n\n"
                + markdown_table(["variant", "mean daily", "retrains", "promoted", "seconds"], rows)
            )
    return "\n\n".join(sections)


def backtest(paths: DataPaths) -> str:
    """Never, monthly and the configured signal policy over April-December, per model."""
    from platform_assets.lib.ml.plots import time_series_markdown
    from platform_assets.lib.monitoring.drift import configured_drift_settings

    settings = configured_drift_settings()
    sections, daily_rows = [], []
    with connect(paths.warehouse, read_only=True) as connection:
        for spec in load_model_specs().values():
            features = _features(spec)
            rows, weekly = [], {}
            for policy_name in ("never", "monthly", "signal"):
                result, seconds = _run(
                    connection, spec, features, policy_name, LAST_DAY, spec.retraining, settings
                )
                rows.append(_row(policy_name, result, seconds))
                daily = pd.Series(result.daily)
                weekly[policy_name] = daily.rolling(7, min_periods=1).mean().tolist()
                daily_rows += [(spec.name, policy_name, d, v) for d, v in result.daily.items()]
                if policy_name == "signal":
                    retrains = result.retrains
            plot = time_series_markdown(
                list(daily.index), weekly, f"{spec.name}: 7-day mean", spec.promotion.metric
            )
            sections.append(
                f"## {spec.name} ({spec.promotion.metric}, "
                f"{'higher' if spec.promotion.higher_is_better else 'lower'} is better)\n\n"
                + markdown_table(["policy", "mean daily", "retrains", "promoted", "seconds"], rows)
                + "\n\nSignal-driven retrains:\n\n"
                + markdown_table(["day", "reason", "promoted"], [(d, r, p) for d, r, p in retrains])
                + f"\n\n{plot}"
            )
    pd.DataFrame(daily_rows, columns=["model", "policy", "day", "value"]).to_csv(
        paths.reports / "backtest_daily.csv", index=False
    )
    return "\n\n".join(sections)


def write_backtest(paths: DataPaths, with_tuning: bool) -> str:
    """Run (and optionally tune), save reports/backtest.md, return the text."""
    paths.reports.mkdir(parents=True, exist_ok=True)
    parts = [f"# Retraining policies on {FIRST_DAY} .. {LAST_DAY}"]
    if with_tuning:
        parts.append("## Tuning on the first half only\n\n" + tune(paths))
    parts.append(backtest(paths))
    text = "\n\n".join(parts) + "\n"
    (paths.reports / "backtest.md").write_text(text, encoding="utf-8")
    return text
