"""Explaining a candidate model and comparing it with the champion on a held-out window.

Pure functions over pandas and numpy, given already-fitted scikit-learn pipelines that take a
DataFrame of feature columns: permutation importance, the slices where a model errs most, and
the markdown model card that puts them together with the metrics the gate decided on
(`daily_comparison.py`) for the asset metadata. scikit-learn is imported inside the functions that
need it, so loading the platform's definitions stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from platform_assets.lib.table_summary import markdown_table

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

TOP_IMPORTANT_FEATURES = 15


def permutation_importance_table(
    pipeline: Pipeline,
    features: pd.DataFrame,
    target: ArrayLike,
    scoring: str,
    n_repeats: int = 3,
    seed: int = 0,
    max_rows: int = 5000,
) -> pd.DataFrame:
    """How much the score drops when each input column is shuffled: what drives the model.

    Works on the pipeline's raw input columns (before encoding), on a deterministic sample of
    at most `max_rows` rows to bound the cost. Columns: feature, importance_mean,
    importance_std, most important first.
    """
    from sklearn.inspection import permutation_importance

    truth = np.asarray(target)
    if len(features) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(len(features), max_rows, replace=False))
        features, truth = features.iloc[rows], truth[rows]
    result = permutation_importance(
        pipeline, features, truth, scoring=scoring, n_repeats=n_repeats, random_state=seed
    )
    table = pd.DataFrame(
        {
            "feature": features.columns,
            "importance_mean": result.importances_mean,
            "importance_std": result.importances_std,
        }
    )
    return table.sort_values("importance_mean", ascending=False, ignore_index=True)


def worst_slices(
    frame: pd.DataFrame,
    error: pd.Series | np.ndarray,
    slice_columns: list[str],
    min_rows: int = 50,
    top: int = 5,
) -> pd.DataFrame:
    """The slices (one value of one column) with the highest mean per-row error.

    `error` is aligned with `frame` by position (e.g. per-row log loss or absolute error).
    Slices with fewer than `min_rows` rows are left out, so a handful of rows cannot top the
    list by chance; missing values do not form a slice. Columns: column, value, rows,
    mean_error, worst first.
    """
    errors = np.asarray(error, dtype=float)
    if len(errors) != len(frame):
        raise ValueError(f"{len(errors)} errors for {len(frame)} rows")
    per_column = []
    for column in slice_columns:
        grouped = (
            pd.DataFrame({"value": frame[column].to_numpy(), "error": errors})
            .groupby("value")["error"]
            .agg(rows="size", mean_error="mean")
            .reset_index()
        )
        per_column.append(grouped[grouped["rows"] >= min_rows].assign(column=column))
    slices = pd.concat(per_column, ignore_index=True)
    slices = slices.sort_values(["mean_error", "rows"], ascending=False, kind="stable")
    return slices[["column", "value", "rows", "mean_error"]].head(top).reset_index(drop=True)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.4f}"


def _difference_cell(row: dict[str, float | None]) -> str:
    difference = row.get("difference")
    if difference is None:
        return "—"
    return f"{_signed(difference)} [{_signed(row.get('ci_low'))}, {_signed(row.get('ci_high'))}]"


def model_card_markdown(
    model_name: str,
    candidate_version: str,
    champion_version: str | None,
    metrics_heading: str,
    metrics_table: dict[str, dict[str, float | None]],
    decision: str,
    importance: pd.DataFrame,
    slices: pd.DataFrame,
    plots: Sequence[str],
) -> str:
    """A readable model card: decision, metrics side by side, what drives it, where it errs.

    `metrics_table` maps metric -> {"candidate", "champion", "difference", "ci_low",
    "ci_high"}; champion and difference values are None when there is no champion. `importance`
    comes from permutation_importance_table, `slices` from worst_slices and `plots` are
    markdown images (see plots.py).
    """
    champion_label = f"champion {champion_version}" if champion_version else "champion (none)"
    metric_rows = [
        (
            metric,
            _number(values["candidate"]),
            _number(values.get("champion")),
            _difference_cell(values),
        )
        for metric, values in metrics_table.items()
    ]
    importance_rows = [
        (row.feature, _number(row.importance_mean), _number(row.importance_std))
        for row in importance.head(TOP_IMPORTANT_FEATURES).itertuples()
    ]
    slice_rows = [
        (row.column, row.value, row.rows, _number(row.mean_error)) for row in slices.itertuples()
    ]
    sections = [
        f"# Model card: {model_name} {candidate_version}",
        f"**Decision:** {decision}",
        "## Metrics on the held-out window",
        metrics_heading + ".",
        markdown_table(
            [
                "metric",
                f"candidate {candidate_version}",
                champion_label,
                "difference [CI]",
            ],
            metric_rows,
        ),
        "## What drives the candidate",
        "Permutation importance: how much the score drops when a column's values are shuffled.",
        markdown_table(["feature", "importance (mean)", "importance (std)"], importance_rows),
        "## Where it errs most",
        markdown_table(["column", "value", "rows", "mean error"], slice_rows)
        if slice_rows
        else "No slice is large enough to judge.",
    ]
    if plots:
        sections += ["## Plots", *plots]
    return "\n\n".join(sections) + "\n"
