"""Model specs: what a user declares in `models.yaml` for each model, checked on load.

A spec is everything needed to train a model again: task, target, features and the time
before departure they are known at, estimator and hyperparameters, training window,
validation split and promotion rule. A typo fails the
code location load with a message naming the file, the model and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from platform_assets.lib.settings import PlatformSettings

OUTCOME_COLUMNS = ("dep_delay", "dep_time", "arr_time", "air_time")
"""Known only after departure: a model that uses one of them is cheating."""

TASKS = ("binary_classification", "regression")

# metric -> True when higher is better
METRICS = {
    "binary_classification": {"roc_auc": True, "pr_auc": True, "log_loss": False, "brier": False},
    "regression": {"mae": False, "rmse": False},
}

ESTIMATORS = {
    "HistGradientBoostingClassifier": ("sklearn.ensemble", "binary_classification"),
    "RandomForestClassifier": ("sklearn.ensemble", "binary_classification"),
    "LogisticRegression": ("sklearn.linear_model", "binary_classification"),
    "HistGradientBoostingRegressor": ("sklearn.ensemble", "regression"),
    "RandomForestRegressor": ("sklearn.ensemble", "regression"),
    "Ridge": ("sklearn.linear_model", "regression"),
}


class ModelSpecError(ValueError):
    """A model declaration that cannot be used as written."""


@dataclass(frozen=True)
class PromotionRule:
    """When a candidate may replace the champion."""

    metric: str
    min_improvement: float
    floor: float
    # of the day-block interval of the improvement, whose lower end must reach min_improvement
    confidence: float = 0.8

    @property
    def higher_is_better(self) -> bool:
        return any(self.metric in metrics and metrics[self.metric] for metrics in METRICS.values())

    @property
    def mean_daily_key(self) -> str:
        """The version metric holding the mean daily promotion metric on its held-out days."""
        return f"mean_daily_{self.metric}"


@dataclass(frozen=True)
class RetrainingPolicy:
    """When the retraining sensor asks for a new model (any signal that is set can trigger).

    Performance is the promotion metric, averaged over the last `performance_window_days`
    monitored days; "below a floor" means worse than it (above it for an error like MAE).
    """

    drift_share_at_least: float | None = None
    for_consecutive_days: int = 1
    performance_worse_than: float | None = None
    performance_drop_of: float | None = None  # against the champion's validation score
    performance_window_days: int = 7
    new_labelled_rows: int | None = None
    # Page-Hinkley change detection on the champion's daily metric since it served
    # (retraining_policy.page_hinkley): `page_hinkley_threshold` is the rise of the cumulative
    # shortfall that signals, `page_hinkley_delta` the shortfall a day may have without counting
    page_hinkley_threshold: float | None = None
    page_hinkley_delta: float = 0.0
    cooldown_days: int = 7


@dataclass(frozen=True)
class ModelSpec:
    """One declared model."""

    name: str
    description: str
    task: str
    target: str
    # The flight's own columns and feature-view references (`view:feature`, `view:*`);
    # None: all of them.
    features: tuple[str, ...] | None
    estimator: str
    params: dict[str, Any] = field(default_factory=dict)
    training_window_days: int = 90
    # The first model is trained once this many labelled days exist (None: a full training
    # window). An expanding window (a long training_window_days) needs it, or its first model
    # would wait for the whole window to land.
    min_training_days: int | None = None
    validation_days: int = 14
    # Older flights of the window weigh less in fitting: a flight this many days older than the
    # held-out days counts half as much (None: every flight counts the same).
    recency_half_life_days: float | None = None
    # How long before the scheduled departure the prediction is made: every feature is the
    # value known then.
    prediction_lead_minutes: int = 60
    # The training sets kept for audit and refitting: those of the last this many versions,
    # and always the champion's; older ones are deleted after each registration.
    keep_training_sets: int = 10
    # The Evidently snapshots kept: those of the newest this many monitored days (see
    # docs/production.md, "Disk", for their size).
    keep_report_days: int = 366
    promotion: PromotionRule = PromotionRule("roc_auc", 0.0, 0.5)
    retraining: RetrainingPolicy = RetrainingPolicy()
    # The largest difference allowed between a served score and the batch's score of the
    # same flight and version, made at the same prediction time (train/serve skew), in the
    # score's unit (a probability, or minutes).
    serving_skew_threshold: float = 0.01

    @property
    def first_model_days(self) -> int:
        """How many labelled days must exist before the first model is trained."""
        return self.min_training_days or self.training_window_days

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(METRICS[self.task])

    def with_overrides(
        self, params: dict[str, Any] | None = None, training_window_days: int | None = None
    ) -> ModelSpec:
        """The same spec with hyperparameters or window changed (from the UI's launchpad)."""
        return replace(
            self,
            params={**self.params, **(params or {})},
            training_window_days=training_window_days or self.training_window_days,
        )


def models_file() -> Path:
    """The models file of the settings: PLATFORM_MODELS_FILE, or the one shipped."""
    return PlatformSettings.from_env().models_file


def _parse_model(name: str, entry: dict[str, Any], source: Path) -> ModelSpec:
    def fail(message: str) -> ModelSpecError:
        return ModelSpecError(f"{source}: model '{name}': {message}")

    if not name.isidentifier():
        raise fail("the name must be letters, digits and underscores (it names assets).")
    task = entry.get("task")
    if task not in TASKS:
        raise fail(f"task must be one of {', '.join(TASKS)}, found {task!r}.")
    estimator = entry.get("estimator") or {}
    estimator_class = estimator.get("class")
    if estimator_class not in ESTIMATORS:
        raise fail(f"estimator.class must be one of {', '.join(ESTIMATORS)}.")
    if ESTIMATORS[estimator_class][1] != task:
        raise fail(f"estimator {estimator_class} does not fit task {task}.")
    features = entry.get("features", "all")
    if features != "all" and not (
        isinstance(features, list) and features and all(isinstance(f, str) for f in features)
    ):
        raise fail(
            "features must be 'all' or a list of the flight's columns and feature-view "
            "references ('view:feature' or 'view:*')."
        )
    lead = entry.get("prediction_lead_minutes", 60)
    if not isinstance(lead, int) or isinstance(lead, bool) or not 0 <= lead <= 24 * 60:
        raise fail(
            f"prediction_lead_minutes must be a whole number of minutes from 0 to 1440 (how "
            f"long before the scheduled departure the prediction is made), found {lead!r}."
        )
    promotion = entry.get("promotion") or {}
    metric = promotion.get("metric")
    if metric not in METRICS[task]:
        raise fail(f"promotion.metric must be one of {', '.join(METRICS[task])} for {task}.")
    spec = ModelSpec(
        name=name,
        description=str(entry.get("description", "")),
        task=task,
        target=str(entry.get("target", "")),
        features=None if features == "all" else tuple(features),
        estimator=estimator_class,
        params=dict(estimator.get("params") or {}),
        training_window_days=int(entry.get("training_window_days", 90)),
        min_training_days=(
            int(entry["min_training_days"]) if entry.get("min_training_days") else None
        ),
        validation_days=int(entry.get("validation_days", 14)),
        recency_half_life_days=_half_life(entry.get("recency_half_life_days"), fail),
        prediction_lead_minutes=lead,
        serving_skew_threshold=_skew_threshold(entry.get("serving_skew_threshold", 0.01), fail),
        keep_training_sets=_kept_count(
            "keep_training_sets",
            entry.get("keep_training_sets", 10),
            "versions (how many recent versions keep the rows they were fitted on)",
            fail,
        ),
        keep_report_days=_kept_count(
            "keep_report_days",
            entry.get("keep_report_days", 366),
            "days (how many of the newest monitored days keep their Evidently snapshot)",
            fail,
        ),
        promotion=PromotionRule(
            metric=metric,
            min_improvement=float(promotion.get("min_improvement", 0.0)),
            floor=float(promotion["floor"]) if "floor" in promotion else _no_floor(metric),
            confidence=float(promotion.get("confidence", 0.8)),
        ),
    )
    spec = replace(spec, retraining=_parse_retraining(entry.get("retraining") or {}, fail))
    if not spec.target:
        raise fail("target is required (a label column of the feature table).")
    if not 0 < spec.validation_days < spec.training_window_days:
        raise fail("validation_days must be positive and shorter than training_window_days.")
    if not spec.validation_days < spec.first_model_days <= spec.training_window_days:
        raise fail(
            "min_training_days must be longer than validation_days and at most "
            "training_window_days (leave it out to wait for a full training window)."
        )
    if not 0 < spec.promotion.confidence < 1:
        raise fail("promotion.confidence must be between 0 and 1 (for example 0.8).")
    return spec


def _kept_count(name: str, value: Any, what: str, fail) -> int:
    """A retention setting: a whole number, at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise fail(f"{name} must be a whole number of {what}, at least 1, found {value!r}.")
    return value


def _skew_threshold(value: Any, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise fail(
            f"serving_skew_threshold must be a positive number (the largest difference between "
            f"a served and a batch score of one flight, in the score's unit), found {value!r}."
        )
    return float(value)


def _half_life(value: Any, fail) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise fail(
            f"recency_half_life_days must be a positive number of days (the age at which a "
            f"flight weighs half as much in fitting), or left out; found {value!r}."
        )
    return float(value)


def _parse_retraining(entry: dict[str, Any], fail) -> RetrainingPolicy:
    known = {f.name for f in fields(RetrainingPolicy)}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise fail(f"retraining has unknown settings {unknown}; known: {sorted(known)}.")
    try:
        policy = RetrainingPolicy(**entry)
    except TypeError as error:
        raise fail(f"retraining: {error}") from error
    for name in ("for_consecutive_days", "performance_window_days", "cooldown_days"):
        if not isinstance(getattr(policy, name), int) or getattr(policy, name) < 0:
            raise fail(f"retraining.{name} must be a whole number of days.")
    return policy


def _no_floor(metric: str) -> float:
    higher_is_better = PromotionRule(metric, 0.0, 0.0).higher_is_better
    return float("-inf") if higher_is_better else float("inf")


def load_drift_section(
    path: Path | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The `drift:` section: method and threshold pinned per column type (numeric, ...), and
    the columns left out of the drift share with the reason for each (`excluded_columns`)."""
    source = path or models_file()
    document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    section = dict(document.get("drift") or {})
    excluded = section.pop("excluded_columns", None) or {}
    if not isinstance(excluded, dict) or not all(
        isinstance(reason, str) and reason.strip() for reason in excluded.values()
    ):
        raise ModelSpecError(
            f"{source}: drift.excluded_columns maps each column to the reason it is left out "
            "of the drift share, e.g. `month: one value per day`."
        )
    for column_type, setting in section.items():
        if not isinstance(setting, dict) or set(setting) != {"method", "threshold"}:
            raise ModelSpecError(
                f"{source}: drift.{column_type} needs exactly `method` and `threshold`."
            )
    return section, {str(column): reason for column, reason in excluded.items()}


def load_model_specs(path: Path | None = None) -> dict[str, ModelSpec]:
    """Every model declared in the models file, validated."""
    source = path or models_file()
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ModelSpecError(f"Cannot read the models file {source}: {error}") from error
    models = document.get("models")
    if not isinstance(models, dict) or not models:
        raise ModelSpecError(f"{source} must have a non-empty `models:` mapping.")
    return {name: _parse_model(name, entry or {}, source) for name, entry in models.items()}
