"""Data and prediction drift between a model's reference sample and one day's rows.

Evidently is the engine: every column is compared with the method and threshold pinned for its
type in `DriftSettings`, so a score means the same thing from one day to the next, and its verdict
(drifted or not) is Evidently's own. Evidently is imported inside the functions that run it, since
its import alone takes seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from platform_assets.lib.atomic_files import write_atomically

if TYPE_CHECKING:
    from evidently.core.report import Snapshot

PREDICTION_COLUMN = "prediction"
_VALUE_DRIFT_TEST = "evidently:bound_test:ValueDriftBoundTest"


@dataclass(frozen=True)
class DriftMethod:
    """An Evidently stattest name and the threshold at which it declares drift."""

    method: str
    threshold: float


@dataclass(frozen=True)
class DriftSettings:
    """The drift method pinned per column type, so scores stay comparable across days."""

    numeric: DriftMethod = DriftMethod("wasserstein", 0.1)
    categorical: DriftMethod = DriftMethod("jensenshannon", 0.1)
    prediction: DriftMethod = DriftMethod("wasserstein", 0.1)


@dataclass(frozen=True)
class ColumnDrift:
    """One column's drift score, the method and threshold behind it, and Evidently's verdict."""

    column: str
    method: str
    score: float
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class DriftResult:
    """Per-column drift of one day, the share of drifted columns and the report behind them."""

    columns: tuple[ColumnDrift, ...]
    drift_share: float
    skipped_columns: tuple[str, ...]
    snapshot: Snapshot = field(repr=False, compare=False)

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        """Names of the columns Evidently found drifted, for alerts and asset metadata."""
        return tuple(drift.column for drift in self.columns if drift.drifted)


def column_types(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split feature columns into (numeric, categorical) by dtype; text and bool are categorical."""
    numeric: list[str] = []
    categorical: list[str] = []
    for column in columns:
        dtype = frame[column].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            raise ValueError(
                f"Column {column!r} holds {dtype} values: derive a numeric feature from it "
                "before measuring drift."
            )
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            numeric.append(column)
        else:
            categorical.append(column)
    return numeric, categorical


def data_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    settings: DriftSettings,
) -> DriftResult:
    """Compare the day's feature rows with the reference sample, column by column, via Evidently.

    Columns with no value on either side cannot be compared: they are listed in
    `skipped_columns` instead of failing the whole check.
    """
    skipped = tuple(
        column
        for column in [*numeric, *categorical]
        if not _has_values(reference[column]) or not _has_values(current[column])
    )
    compared_numeric = [column for column in numeric if column not in skipped]
    compared_categorical = [column for column in categorical if column not in skipped]
    if not compared_numeric and not compared_categorical:
        raise ValueError(
            f"No column has values in both the reference and the current rows (skipped: {skipped})."
        )
    columns, snapshot = _run_evidently(
        reference, current, compared_numeric, compared_categorical, settings
    )
    drift_share = sum(drift.drifted for drift in columns) / len(columns)
    return DriftResult(columns, drift_share, skipped, snapshot)


def prediction_drift(
    reference_scores: Sequence[float] | np.ndarray,
    current_scores: Sequence[float] | np.ndarray,
    settings: DriftSettings,
) -> ColumnDrift:
    """Compare the model's scores on the day's rows with its scores on the reference sample."""
    reference = pd.DataFrame({PREDICTION_COLUMN: np.asarray(reference_scores, dtype=float)})
    current = pd.DataFrame({PREDICTION_COLUMN: np.asarray(current_scores, dtype=float)})
    prediction_settings = replace(settings, numeric=settings.prediction)
    result = data_drift(reference, current, [PREDICTION_COLUMN], [], prediction_settings)
    return result.columns[0]


def save_report_html(result: DriftResult, path: Path) -> Path:
    """Write the Evidently HTML report of a drift check atomically, for users to open."""
    html = result.snapshot.get_html_str(as_iframe=False)
    write_atomically(path, html.encode("utf-8"))
    return path


def _has_values(series: pd.Series) -> bool:
    """Whether a column keeps any value once Evidently drops nulls and infinities."""
    return bool(series.replace([np.inf, -np.inf], np.nan).notna().any())


def _run_evidently(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    settings: DriftSettings,
) -> tuple[tuple[ColumnDrift, ...], Snapshot]:
    """Run one Evidently ValueDrift per column with its type's pinned method; read back each."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    pinned = {column: settings.numeric for column in numeric}
    pinned |= {column: settings.categorical for column in categorical}
    columns = list(pinned)
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    metrics = [
        ValueDrift(column=column, method=drift.method, threshold=drift.threshold)
        for column, drift in pinned.items()
    ]
    # include_tests=True makes Evidently attach its drift verdict to each ValueDrift.
    snapshot = Report(metrics, include_tests=True).run(
        Dataset.from_pandas(current[columns], data_definition=definition),
        Dataset.from_pandas(reference[columns], data_definition=definition),
    )
    report = snapshot.dict()
    verdicts = {
        test["metric_config"]["metric_id"]: test["status"] == "FAIL"
        for test in report["tests"]
        if test["bound_test"]["type"] == _VALUE_DRIFT_TEST
    }
    drifts = {
        metric["config"]["column"]: ColumnDrift(
            column=metric["config"]["column"],
            method=metric["config"]["method"],
            score=float(metric["value"]),
            threshold=float(metric["config"]["threshold"]),
            drifted=verdicts[metric["id"]],
        )
        for metric in report["metrics"]
    }
    return tuple(drifts[column] for column in columns), snapshot
