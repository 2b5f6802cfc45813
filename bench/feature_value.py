"""What the feature store's features are worth: the shipped models on today's features
(re-timed to the lead) against the feature store's, on the same folds.

For each of five cutoffs, each model is fitted on the 90 days up to the cutoff (its declared
hyperparameters and time split) and scored on the next 30 days, at prediction leads of 0, 60
and 120 minutes. "Today's features" are the flight's own columns, the plane and destination
airport attributes and the origin's weather, all as known at the lead (the features the
platform shipped before the feature views, retrieved the same point-in-time way); "feature
store" adds the origin's last two hours, its timetable, the trailing histories and the
plane's earlier departure (the shipped models' declaration). Differences are paired by day;
their 95 % intervals come from a day-block bootstrap (days resampled with their flights).

    PLATFORM_DATA_DIR=<a root with the year loaded> python bench/feature_value.py

Prints a markdown table (docs/features.md holds the last one) and, at a 60-minute lead, the
permutation importance of the new features for the classifier.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platform_assets.lib.features.catalog import FeatureCatalog  # noqa: E402
from platform_assets.lib.features.retrieval import read_feature_rows  # noqa: E402
from platform_assets.lib.ml.evaluation import predict  # noqa: E402
from platform_assets.lib.ml.features import feature_table_roles, resolve_features  # noqa: E402
from platform_assets.lib.ml.spec import load_model_specs  # noqa: E402
from platform_assets.lib.ml.training import (  # noqa: E402
    TrainingWindow,
    prepare_features,
    target_values,
    train,
)
from platform_assets.lib.paths import DataPaths  # noqa: E402
from platform_assets.lib.warehouse import connect  # noqa: E402

CUTOFFS = [
    date(2013, 4, 30),
    date(2013, 6, 15),
    date(2013, 8, 1),
    date(2013, 9, 15),
    date(2013, 10, 31),
]
TEST_DAYS = 30
LEADS = (0, 60, 120)
REPLICATES = 1000
TODAY = [
    "month",
    "day_of_week",
    "sched_dep_hour",
    "sched_dep_minute",
    "sched_arr_hour",
    "carrier",
    "origin",
    "dest",
    "distance",
    "plane:*",
    "dest_airport:*",
]


def _daily(task: str, frame: pd.DataFrame, column: str) -> pd.Series:
    from sklearn.metrics import roc_auc_score

    def metric(day):
        if task == "binary_classification":
            return roc_auc_score(day["y"], day[column]) if day["y"].nunique() == 2 else np.nan
        return float(np.mean(np.abs(day["y"] - day[column])))

    return frame.groupby("day").apply(metric, include_groups=False)


def _pooled(task: str, frame: pd.DataFrame, column: str) -> float:
    from sklearn.metrics import roc_auc_score

    if task == "binary_classification":
        return float(np.mean([roc_auc_score(f["y"], f[column]) for _, f in frame.groupby("fold")]))
    return float(np.mean(np.abs(frame["y"] - frame[column])))


def _interval(task: str, scored: pd.DataFrame) -> tuple[tuple, tuple]:
    """95 % day-block bootstrap intervals of (new - today) for the mean daily metric and the
    pooled metric: days resampled with replacement within each fold, with all their flights."""
    rng = np.random.default_rng(0)
    days = {fold: f["day"].unique() for fold, f in scored.groupby("fold")}
    by_day = {day: rows for day, rows in scored.groupby("day")}
    daily_a, daily_b = _daily(task, scored, "today"), _daily(task, scored, "new")
    daily_difference, pooled_difference = [], []
    for _ in range(REPLICATES):
        chosen = [d for fold_days in days.values() for d in rng.choice(fold_days, len(fold_days))]
        daily_difference.append(np.nanmean(daily_b[chosen].to_numpy() - daily_a[chosen].to_numpy()))
        sample = pd.concat([by_day[d] for d in chosen])
        pooled_difference.append(_pooled(task, sample, "new") - _pooled(task, sample, "today"))
    return (
        tuple(np.percentile(daily_difference, [2.5, 97.5])),
        tuple(np.percentile(pooled_difference, [2.5, 97.5])),
    )


def evaluate(connection, spec, columns: dict[str, list[str]], lead: int):
    folds, importance_model, importance_rows = [], None, None
    for fold, cutoff in enumerate(CUTOFFS):
        window = TrainingWindow.ending_at(cutoff, spec.training_window_days, spec.validation_days)
        test_start, test_end = cutoff + timedelta(days=1), cutoff + timedelta(days=TEST_DAYS)
        scores = {}
        for name, features in columns.items():
            fitted = read_feature_rows(
                connection, features, window.start, window.end, spec.target, lead
            )
            trained = train(spec, fitted, features, window)
            test = read_feature_rows(connection, features, test_start, test_end, spec.target, lead)
            scores[name] = predict(spec.task, trained.pipeline, prepare_features(test, features))
            if name == "new" and lead == 60 and fold == 2:
                importance_model, importance_rows = trained.pipeline, test
        folds.append(
            pd.DataFrame(
                {
                    "fold": fold,
                    "day": test["flight_date"].dt.date,
                    "y": target_values(spec, test),
                    "today": scores["today"],
                    "new": scores["new"],
                }
            )
        )
    scored = pd.concat(folds, ignore_index=True)
    return scored, importance_model, importance_rows


def main() -> None:
    paths = DataPaths.from_env()
    catalog = FeatureCatalog.from_manifest()
    roles = feature_table_roles(Path("dbt_project/target/manifest.json"))
    lines = [
        "| model | lead (min) | metric | today's features | feature store | difference "
        "(95 % interval) |",
        "|---|---|---|---|---|---|",
    ]
    importance_lines = []
    # today's weather is the origin's latest observation, now read from origin_live
    weather = [
        f"origin_live:{f.name}"
        for f in catalog.views["origin_live"].features
        if f.name.startswith("weather_")
    ]
    today = [*TODAY, *weather]
    with connect(paths.warehouse, read_only=True) as connection:
        for spec in load_model_specs().values():
            columns = {
                "today": resolve_features(replace(spec, features=tuple(today)), roles, catalog),
                "new": resolve_features(spec, roles, catalog),
            }
            for lead in LEADS:
                scored, model, rows = evaluate(connection, spec, columns, lead)
                daily_ci, pooled_ci = _interval(spec.task, scored)
                daily_a = np.nanmean(_daily(spec.task, scored, "today"))
                daily_b = np.nanmean(_daily(spec.task, scored, "new"))
                metric = "AUC" if spec.task == "binary_classification" else "MAE (min)"
                lines.append(
                    f"| {spec.name} | {lead} | mean daily {metric} | {daily_a:.4f} | "
                    f"{daily_b:.4f} | {daily_b - daily_a:+.4f} ({daily_ci[0]:+.4f}, "
                    f"{daily_ci[1]:+.4f}) |"
                )
                pooled_a, pooled_b = (
                    _pooled(spec.task, scored, "today"),
                    _pooled(spec.task, scored, "new"),
                )
                lines.append(
                    f"| {spec.name} | {lead} | pooled 30-day {metric} | {pooled_a:.4f} | "
                    f"{pooled_b:.4f} | {pooled_b - pooled_a:+.4f} ({pooled_ci[0]:+.4f}, "
                    f"{pooled_ci[1]:+.4f}) |"
                )
                print(lines[-2], lines[-1], sep="\n", flush=True)
                if lead == 60 and spec.task == "binary_classification":
                    importance_lines = _importance(spec, model, rows, columns)
    print("\n".join(["", *lines, "", *importance_lines]))


def _importance(spec, model, rows, columns) -> list[str]:
    """Permutation importance (drop in AUC) of the features the feature store adds."""
    from sklearn.inspection import permutation_importance

    new = [c for c in columns["new"] if c not in columns["today"]]
    sample = rows.sample(n=min(8000, len(rows)), random_state=0)
    result = permutation_importance(
        model,
        prepare_features(sample, columns["new"]),
        target_values(spec, sample),
        scoring="roc_auc",
        n_repeats=5,
        random_state=0,
    )
    ranked = sorted(
        (
            (
                result.importances_mean[columns["new"].index(c)],
                result.importances_std[columns["new"].index(c)],
                c,
            )
            for c in new
        ),
        reverse=True,
    )
    return [
        "| new feature (classifier, lead 60, cutoff 2013-08-01) | AUC drop when permuted |",
        "|---|---|",
        *(f"| {c} | {m:.4f} ± {s:.4f} |" for m, s, c in ranked),
    ]


if __name__ == "__main__":
    main()
