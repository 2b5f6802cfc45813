"""Data and prediction drift between a model's reference sample and one day's rows.

Evidently is the engine: every column is compared with the method and threshold pinned for its
type in `DriftSettings`, so a score means the same thing from one day to the next, and its verdict
(drifted or not) is Evidently's own. Evidently is imported inside the functions that run it, since
its import alone takes seconds.

Scores come from Evidently's stattest functions called directly, with the cleaning its
`ValueDrift` metric applies first (infinities and nulls dropped): the same numbers as a
`Report` (tests/test_drift.py compares them) at a fraction of the cost: building a `Report`
takes about 0.4 s per model and day whatever the data size, minutes for a year of
monitoring, so it runs only to write the HTML a user opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from platform_assets.lib.atomic_files import write_atomically

PREDICTION_COLUMN = "prediction"


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


def configured_drift_settings(models_file: Path | None = None) -> DriftSettings:
    """The drift methods pinned in the models file, over the defaults above."""
    from platform_assets.lib.ml.spec import load_drift_methods

    pinned = {
        kind: DriftMethod(**setting) for kind, setting in load_drift_methods(models_file).items()
    }
    return DriftSettings(**pinned)


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
    """Per-column drift of one day and the share of drifted columns."""

    columns: tuple[ColumnDrift, ...]
    drift_share: float
    skipped_columns: tuple[str, ...]

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
    from evidently.legacy.core import ColumnType

    kinds = {column: ColumnType.Numerical for column in numeric}
    kinds |= {column: ColumnType.Categorical for column in categorical}
    values = {column: (_values(reference[column]), _values(current[column])) for column in kinds}
    skipped = tuple(column for column, pair in values.items() if pair[0].empty or pair[1].empty)
    if len(skipped) == len(kinds):
        raise ValueError(
            f"No column has values in both the reference and the current rows (skipped: {skipped})."
        )
    methods = {ColumnType.Numerical: settings.numeric, ColumnType.Categorical: settings.categorical}
    columns = tuple(
        _column_drift(*values[column], column, kind, methods[kind])
        for column, kind in kinds.items()
        if column not in skipped
    )
    drift_share = sum(drift.drifted for drift in columns) / len(columns)
    return DriftResult(columns, drift_share, skipped)


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


def save_report_html(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    result: DriftResult,
    path: Path,
) -> Path:
    """Write Evidently's HTML report of the columns a drift check compared, atomically.

    The report runs one `ValueDrift` per column with the same pinned method and threshold,
    so it shows the scores of `result` with Evidently's distributions beside them.
    """
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    columns = [drift.column for drift in result.columns]
    numeric, categorical = column_types(reference, columns)
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    metrics = [
        ValueDrift(column=drift.column, method=drift.method, threshold=drift.threshold)
        for drift in result.columns
    ]
    snapshot = Report(metrics, include_tests=True).run(
        Dataset.from_pandas(current[columns], data_definition=definition),
        Dataset.from_pandas(reference[columns], data_definition=definition),
    )
    write_atomically(path, snapshot.get_html_str(as_iframe=False).encode("utf-8"))
    return path


def _values(series: pd.Series) -> pd.Series:
    """The values Evidently's ValueDrift compares: nulls dropped, and infinities if numeric.

    A numpy mask, not `Series.replace`: the latter was most of a year's monitoring time.
    """
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series[np.isfinite(series.to_numpy(dtype=float, na_value=np.nan))]
    return series.dropna()


def _column_drift(reference, current, column, kind, method: DriftMethod) -> ColumnDrift:
    """One column through Evidently's stattest, on the values its ValueDrift would keep."""
    from evidently.legacy.calculations.stattests.registry import get_stattest

    test = get_stattest(reference, current, kind, method.method)
    result = test(reference, current, kind, method.threshold)
    return ColumnDrift(
        column, method.method, float(result.drift_score), method.threshold, bool(result.drifted)
    )
