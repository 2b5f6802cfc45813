"""Training a declared model: one scikit-learn Pipeline, a time split, a data fingerprint.

The Pipeline (ColumnTransformer + estimator) is the one object fitted, saved, loaded and
scored: no preprocessing lives outside it. scikit-learn is imported inside the functions so
that loading the platform's definitions stays light.
"""

from __future__ import annotations

import hashlib
import importlib
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from platform_assets.lib.ml.spec import ESTIMATORS, ModelSpec


@dataclass(frozen=True)
class TrainingWindow:
    """Days start..end (inclusive) of labelled flights; the last days are held out."""

    start: date
    end: date
    validation_start: date

    @classmethod
    def ending_at(cls, cutoff: date, window_days: int, validation_days: int) -> TrainingWindow:
        return cls(
            start=cutoff - timedelta(days=window_days - 1),
            end=cutoff,
            validation_start=cutoff - timedelta(days=validation_days - 1),
        )


@dataclass
class TrainedModel:
    """A fitted pipeline with what it was trained on and how long it took."""

    pipeline: Any
    train_rows: int
    validation_rows: int
    duration_seconds: float


def categorical_columns(frame: pd.DataFrame, features: list[str]) -> list[str]:
    """Text and boolean feature columns (encoded as categories); the rest are numeric."""
    return [
        name
        for name in features
        if not pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(frame[name])
    ]


def build_pipeline(spec: ModelSpec, frame: pd.DataFrame, features: list[str], params: dict):
    """The unfitted Pipeline for a spec: encoders suited to the estimator, then the estimator."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    categorical = categorical_columns(frame, features)
    numeric = [name for name in features if name not in categorical]
    module, _ = ESTIMATORS[spec.estimator]
    estimator_class = getattr(importlib.import_module(module), spec.estimator)
    if spec.estimator.startswith("HistGradientBoosting"):
        # Trees split categories natively and handle missing values themselves.
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
        )
        preprocess = ColumnTransformer(
            [("categorical", encoder, categorical), ("numeric", "passthrough", numeric)],
            verbose_feature_names_out=False,
        )
        mask = [True] * len(categorical) + [False] * len(numeric)
        estimator = estimator_class(categorical_features=mask, **params)
    else:
        preprocess = ColumnTransformer(
            [
                (
                    "categorical",
                    OneHotEncoder(handle_unknown="ignore", min_frequency=20),
                    categorical,
                ),
                (
                    "numeric",
                    make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                    numeric,
                ),
            ],
            verbose_feature_names_out=False,
        )
        estimator = estimator_class(**params)
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def prepare_features(frame: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """The feature columns as the pipeline expects them: categories as objects, numbers as floats.

    Nullable integer columns (pandas NA) become float with NaN, which the estimators accept.
    """
    prepared = frame[features].copy()
    categorical = categorical_columns(frame, features)
    numeric = [name for name in features if name not in categorical]
    prepared[categorical] = prepared[categorical].astype(object)
    prepared[numeric] = prepared[numeric].astype("float64")
    return prepared


def target_values(spec: ModelSpec, frame: pd.DataFrame):
    """The label as the estimator expects it (0/1 for a classifier)."""
    values = frame[spec.target]
    return values.astype(int) if spec.task == "binary_classification" else values.astype(float)


def train(
    spec: ModelSpec, frame: pd.DataFrame, features: list[str], window: TrainingWindow
) -> TrainedModel:
    """Fit on the window's days before the validation days."""
    started = time.perf_counter()
    train_rows = frame[~is_held_out(frame, window)]
    if train_rows.empty:
        raise ValueError(
            f"Model '{spec.name}' has no labelled rows between {window.start} and "
            f"{window.validation_start}: materialize more days of marts/flight_features."
        )
    pipeline = build_pipeline(spec, train_rows, features, spec.params)
    weights = recency_weights(train_rows, window, spec.recency_half_life_days)
    pipeline.fit(
        prepare_features(train_rows, features),
        target_values(spec, train_rows),
        **({} if weights is None else {"model__sample_weight": weights}),
    )
    return TrainedModel(
        pipeline=pipeline,
        train_rows=len(train_rows),
        validation_rows=len(frame) - len(train_rows),
        duration_seconds=time.perf_counter() - started,
    )


def recency_weights(frame: pd.DataFrame, window: TrainingWindow, half_life_days: float | None):
    """Each row's weight in fitting, halving every `half_life_days` of age before the held-out
    days; None when the model weighs every row the same."""
    if half_life_days is None:
        return None
    age = (pd.Timestamp(window.validation_start) - pd.to_datetime(frame["flight_date"])).dt.days
    return (0.5 ** (age / half_life_days)).to_numpy()


def is_held_out(frame: pd.DataFrame, window: TrainingWindow) -> pd.Series:
    """Rows of the window's last days, kept out of fitting to validate on."""
    return pd.to_datetime(frame["flight_date"]) >= pd.Timestamp(window.validation_start)


REFERENCE_SAMPLE_ROWS = 5000
REFERENCE_KEYS = ["flight_id", "flight_date"]


def window_rows(connection, features: list[str], label: str, window: TrainingWindow, lead_minutes):
    """The window's flights, read once, as known at the lead: (the labelled ones, to fit and
    validate on; every flight of the held-out days, labelled or not).

    A version's drift reference is drawn from the second: monitoring compares each later
    day's flights (all of them, labels or none) with flights of the same kind that the
    version was not fitted on, so a shift means the data moved, not that fitted rows look
    familiar.
    """
    from platform_assets.lib.features.retrieval import read_feature_rows

    flights = read_feature_rows(
        connection, [*features, label], window.start, window.end, lead_minutes=lead_minutes
    )
    labelled = flights[flights[label].notna()].reset_index(drop=True)
    return labelled, flights[is_held_out(flights, window)]


def reference_sample(population: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """The rows kept with a version as its drift reference: seeded, at most 5,000, with the
    flight keys so that a reader can tell which flights they are."""
    return population[[*REFERENCE_KEYS, *features]].sample(
        n=min(REFERENCE_SAMPLE_ROWS, len(population)), random_state=0
    )


def data_fingerprint(frame: pd.DataFrame, columns: list[str]) -> str:
    """SHA-256 of exactly these rows and columns (rows ordered by flight): same data, same hash."""
    ordered = frame.sort_values("flight_id", kind="stable")[["flight_id", *columns]]
    row_hashes = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    return hashlib.sha256(row_hashes.tobytes()).hexdigest()
