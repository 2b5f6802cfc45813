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


def feature_groups(columns: Sequence[str]) -> dict[str, list[str]]:
    """The columns that are shuffled together: one group per feature view, each own column alone.

    A feature view's columns are named `view__feature` (lib/ml/features.py) and are named here
    as the models file refers to the whole view, `view:*`.
    """
    groups: dict[str, list[str]] = {}
    for column in columns:
        view, separator, _ = column.partition("__")
        groups.setdefault(f"{view}:*" if separator else column, []).append(column)
    return groups


def group_name(group: str) -> str:
    """A feature group's plain name: the view's for `view:*`, the column's for an own column."""
    return group.removesuffix(":*")


def permutation_importance_table(
    pipeline: Pipeline,
    features: pd.DataFrame,
    target: ArrayLike,
    scoring: str,
    n_repeats: int = 3,
    seed: int = 0,
    max_rows: int = 5000,
) -> pd.DataFrame:
    """How much the score drops when a feature view (or an own column) is shuffled.

    A view's columns are shuffled together, with one permutation of the rows: they describe one
    thing (the origin's last two hours, the plane's earlier departure) and are correlated, so
    shuffling one while its siblings stay would understate the view. scikit-learn's
    `permutation_importance` shuffles one column at a time; this is the same measure over groups,
    at a third of its cost with the shipped feature set (17 groups, 51 columns). Works on the
    pipeline's raw input columns (before encoding), on a deterministic sample of at most
    `max_rows` rows. Columns: feature, importance_mean, importance_std, most important first.
    """
    from sklearn.metrics import check_scoring

    truth = np.asarray(target)
    rng = np.random.default_rng(seed)
    if len(features) > max_rows:
        rows = np.sort(rng.choice(len(features), max_rows, replace=False))
        features, truth = features.iloc[rows], truth[rows]
    scorer = check_scoring(pipeline, scoring=scoring)
    baseline = scorer(pipeline, features, truth)
    groups = feature_groups(list(features.columns))
    drops = np.empty((len(groups), n_repeats))
    for index, columns in enumerate(groups.values()):
        for repeat in range(n_repeats):
            order = rng.permutation(len(features))
            shuffled = features.copy()
            for column in columns:
                shuffled[column] = features[column].iloc[order].set_axis(features.index)
            drops[index, repeat] = baseline - scorer(pipeline, shuffled, truth)
    table = pd.DataFrame(
        {
            "feature": list(groups),
            "importance_mean": drops.mean(axis=1),
            "importance_std": drops.std(axis=1),
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


def _with_interval(row: dict[str, float | None]) -> str:
    """The candidate's mean daily metric and, when known, its interval."""
    if row.get("candidate_low") is None:
        return _number(row["candidate"])
    interval = f" [{_number(row['candidate_low'])}, {_number(row['candidate_high'])}]"
    return _number(row["candidate"]) + interval


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
    about: Sequence[str] = (),
) -> str:
    """A readable model card: decision, what the model is for and was trained on (`about`,
    markdown lines), metrics side by side, what drives it, where it errs.

    `metrics_table` maps metric -> {"candidate", "candidate_low", "candidate_high",
    "champion", "difference", "ci_low", "ci_high"}; champion and difference values are None
    when there is no champion, the candidate's interval may be left out. `importance`
    comes from permutation_importance_table, `slices` from worst_slices and `plots` are
    markdown images (see plots.py).
    """
    champion_label = f"champion {champion_version}" if champion_version else "champion (none)"
    metric_rows = [
        (
            metric,
            _with_interval(values),
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
        *(["## About this model", "\n".join(about)] if about else []),
        "## Metrics on the held-out window",
        metrics_heading + ".",
        markdown_table(
            [
                "metric",
                f"candidate {candidate_version} [CI]",
                champion_label,
                "difference [CI]",
            ],
            metric_rows,
        ),
        "## What drives the candidate",
        "Permutation importance: how much the score drops when a feature view's columns (or an "
        "own column) are shuffled together.",
        markdown_table(
            ["feature or view", "importance (mean)", "importance (std)"], importance_rows
        ),
        "## Where it errs most",
        markdown_table(["column", "value", "rows", "mean error"], slice_rows)
        if slice_rows
        else "No slice is large enough to judge.",
    ]
    if plots:
        sections += ["## Plots", *plots]
    return "\n\n".join(sections) + "\n"
