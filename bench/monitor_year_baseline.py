"""B3, baseline: a plain loop of Evidently's DataDriftPreset, one Report per model and day.

Reads the feature rows the platform monitors and the serving version's reference sample, and
runs the preset on the same columns with the same pinned methods and thresholds. It computes
data drift only (no prediction drift, no performance): it does less than the platform, so the
ratio is, if anything, in the baseline's favour. A Report costs about the same every day, so
after one untimed warm-up day (Evidently's lazy imports) the loop runs on every `STRIDE`th day
and the year's seconds are extrapolated (everything else + per-day time x 365); the column
scores are saved to compare with `monitoring.drift`.

Usage: monitor_year_baseline.py OUT.csv  (prints the extrapolated seconds for 365 days)
"""

import time

STARTED = time.perf_counter()  # the baseline pays its imports, as the platform run does

import sys  # noqa: E402
from datetime import date  # noqa: E402

import pandas as pd  # noqa: E402

from platform_assets.lib.ml import registry  # noqa: E402
from platform_assets.lib.ml.features import version_feature_rows  # noqa: E402
from platform_assets.lib.ml.spec import load_model_specs  # noqa: E402
from platform_assets.lib.monitoring.drift import (  # noqa: E402
    MIN_VALUES,
    column_types,
    configured_drift_settings,
)
from platform_assets.lib.paths import DataPaths  # noqa: E402
from platform_assets.lib.warehouse import connect  # noqa: E402

STRIDE = 7


def _scores(report: dict) -> dict[str, float]:
    return {
        metric["config"]["column"]: float(metric["value"])
        for metric in report["metrics"]
        if metric["config"]["type"] == "evidently:metric_v2:ValueDrift"
    }


if __name__ == "__main__":
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    paths = DataPaths.from_env()
    settings = configured_drift_settings()
    looped, year_of_loops, scores = 0.0, 0.0, []
    with connect(paths.warehouse, read_only=True) as connection:
        for name in load_model_specs():
            version = registry.champion(connection, name)
            features = version.params["features"]
            reference = registry.load_reference_sample(
                connection, paths.artifacts, name, version.version
            )
            year = version_feature_rows(connection, version, date(2013, 1, 1), date(2013, 12, 31))
            numeric, categorical = column_types(reference, features)
            definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
            reference_data = Dataset.from_pandas(reference[features], data_definition=definition)
            by_day = list(year.groupby(year["flight_date"].dt.date))
            warm_up = by_day[0][1]
            warm_up_started = time.perf_counter()
            Report([DataDriftPreset(columns=["carrier"])]).run(
                Dataset.from_pandas(warm_up[features], data_definition=definition),
                reference_data,
            )
            looped += time.perf_counter() - warm_up_started  # not counted in the year
            loop_started = time.perf_counter()
            for day, rows in by_day[::STRIDE]:
                # the columns the platform compares: not excluded in models.yaml, and with at
                # least MIN_VALUES values on both sides (Evidently refuses a column with none)
                present = [
                    f
                    for f in settings.tested_columns(features)
                    if min(rows[f].notna().sum(), reference[f].notna().sum()) >= MIN_VALUES
                ]
                preset = DataDriftPreset(
                    columns=present,
                    num_method=settings.numeric.method,
                    num_threshold=settings.numeric.threshold,
                    cat_method=settings.categorical.method,
                    cat_threshold=settings.categorical.threshold,
                )
                current = Dataset.from_pandas(rows[features], data_definition=definition)
                report = Report([preset]).run(current, reference_data).dict()
                scores += [(name, day, c, s) for c, s in _scores(report).items()]
            seconds = time.perf_counter() - loop_started
            looped += seconds
            year_of_loops += seconds * len(by_day) / len(by_day[::STRIDE])
    pd.DataFrame(scores, columns=["model", "day", "column", "score"]).to_csv(sys.argv[1])
    print(f"{time.perf_counter() - STARTED - looped + year_of_loops:.3f}")
