"""Data and prediction drift between a model's reference sample and one day's rows.

Evidently is the engine: every column is compared with the method and threshold pinned for its
type in `DriftSettings`, so a score means the same thing from one day to the next, and its verdict
(drifted or not) is Evidently's own. Evidently is imported inside the functions that run it, since
its import alone takes seconds.

Scores come from Evidently's stattest functions called directly, with the cleaning its
`ValueDrift` metric applies first (infinities and nulls dropped): the same numbers as a
`Report` (tests/test_drift.py compares them) at a fraction of the cost: a `Report` of every
column takes about 0.4 s per model and day whatever the data size, minutes for a year of
monitoring. The day's snapshot (`evidently_workspace.py`) runs one over a few columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

PREDICTION_COLUMN = "prediction"
# Fewer values than this on either side and a column is left untested that day, with the
# reason recorded: a distance between a handful of values says nothing about drift.
MIN_VALUES = 30


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
    # (column, reason) pairs never counted in the drift share: a column with one value per
    # day "drifts" against a reference of many days whatever the model does
    excluded_columns: tuple[tuple[str, str], ...] = ()

    def tested_columns(self, columns: Sequence[str]) -> list[str]:
        """The columns whose drift counts: `columns` without the excluded ones."""
        excluded = dict(self.excluded_columns)
        return [column for column in columns if column not in excluded]


def configured_drift_settings(models_file: Path | None = None) -> DriftSettings:
    """The drift methods and exclusions of the models file, over the defaults above."""
    from platform_assets.lib.ml.spec import load_drift_section

    methods, excluded = load_drift_section(models_file)
    pinned = {kind: DriftMethod(**setting) for kind, setting in methods.items()}
    return DriftSettings(**pinned, excluded_columns=tuple(excluded.items()))


@dataclass(frozen=True)
class ColumnDrift:
    """One column's drift score, the method and threshold behind it, and Evidently's verdict."""

    column: str
    method: str
    score: float
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class UntestedColumn:
    """A column a drift check could not test, and why."""

    column: str
    reason: str


@dataclass(frozen=True)
class DriftResult:
    """Per-column drift of one day, the share of drifted columns among those tested, and the
    columns that could not be tested."""

    columns: tuple[ColumnDrift, ...]
    drift_share: float
    untested: tuple[UntestedColumn, ...]

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        """Names of the columns Evidently found drifted, for alerts and asset metadata."""
        return tuple(drift.column for drift in self.columns if drift.drifted)

    @property
    def untested_columns(self) -> tuple[str, ...]:
        return tuple(untested.column for untested in self.untested)


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

    A column with fewer than MIN_VALUES values on either side is not compared: it is listed
    in `untested` with the reason, and the drift share is over the columns tested.
    """
    from evidently.legacy.core import ColumnType

    kinds = {column: ColumnType.Numerical for column in numeric}
    kinds |= {column: ColumnType.Categorical for column in categorical}
    values = {column: (_values(reference[column]), _values(current[column])) for column in kinds}
    untested = tuple(
        UntestedColumn(column, reason)
        for column, pair in values.items()
        if (reason := _why_untested(*pair)) is not None
    )
    if len(untested) == len(kinds):
        raise ValueError(
            "No column has enough values in both the reference and the current rows: "
            + "; ".join(f"{u.column}: {u.reason}" for u in untested)
        )
    methods = {ColumnType.Numerical: settings.numeric, ColumnType.Categorical: settings.categorical}
    left_out = {u.column for u in untested}
    columns = tuple(
        _column_drift(*values[column], column, kind, methods[kind])
        for column, kind in kinds.items()
        if column not in left_out
    )
    drift_share = sum(drift.drifted for drift in columns) / len(columns)
    return DriftResult(columns, drift_share, untested)


def _why_untested(reference: pd.Series, current: pd.Series) -> str | None:
    for side, values in (("the reference sample", reference), ("the day", current)):
        if len(values) < MIN_VALUES:
            return f"{len(values)} values in {side} (at least {MIN_VALUES} needed)"
    return None


def feature_drift(
    reference: pd.DataFrame, current: pd.DataFrame, features: Sequence[str], settings
) -> DriftResult:
    """A model's feature drift on one day, as monitoring and the backtest both measure it:
    its features but the excluded ones, each compared by the method of its type."""
    numeric, categorical = column_types(reference, settings.tested_columns(features))
    return data_drift(reference, current, numeric, categorical, settings)


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
