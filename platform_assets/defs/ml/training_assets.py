"""A model's training set and candidate: the window of labelled flights, then a fitted version.

The window and hyperparameters can be changed for one run from the launchpad (run config);
the defaults come from `models.yaml`. Every candidate is registered with what made it.
"""

from datetime import date
from typing import Any

import dagster as dg

from platform_assets.defs.ml.ml_context import (
    feature_catalog,
    feature_roles,
    feature_view_keys,
    manifest_checksum,
)
from platform_assets.defs.ml.model_keys import (
    CANDIDATE,
    ML_GROUP,
    TRAINING_SET,
    model_asset_key,
)
from platform_assets.defs.ml.retrain_run import (
    bound_training_set_folder,
    hold_retrain_claim,
    run_actor,
    training_set_folder,
)
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.defs.transform.dbt_models import FEATURE_TABLE_KEY
from platform_assets.lib.landing import is_day_name
from platform_assets.lib.ml.features import latest_labelled_day, resolve_features
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.warehouse import connect

TRAINING_CODE_VERSION = "1"


class TrainingSetConfig(dg.Config):
    """Which days to train on; empty fields keep the model's defaults."""

    cutoff_date: str | None = None  # last day (YYYY-MM-DD); default: latest labelled day
    training_window_days: int | None = None


class CandidateConfig(dg.Config):
    """Hyperparameters for this run only, merged over the model's declared ones."""

    hyperparameters: dict[str, Any] = {}


def _cutoff(config: TrainingSetConfig, connection, spec: ModelSpec) -> date:
    if config.cutoff_date:
        # Exactly YYYY-MM-DD: Python would also take '20130101' or '2013-W01-2' as dates.
        if not is_day_name(config.cutoff_date):
            raise dg.Failure(
                f"cutoff_date {config.cutoff_date!r} is not a day written as YYYY-MM-DD: "
                "fix it in the run config, or leave it empty for the latest labelled day."
            )
        return date.fromisoformat(config.cutoff_date)
    latest = latest_labelled_day(connection, spec.target)
    if latest is None:
        raise dg.Failure(
            f"marts.flight_features has no labelled rows for '{spec.name}': "
            "materialize some days of it first."
        )
    return latest


def build_training_set_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=model_asset_key(spec.name, TRAINING_SET),
        deps=[FEATURE_TABLE_KEY, *feature_view_keys()],
        group_name=ML_GROUP,
        kinds={"python", "duckdb"},
        description=f"{spec.description} The labelled flights of the training window "
        f"(default: {spec.training_window_days} days up to the latest labelled day), each "
        f"with its features as known {spec.prediction_lead_minutes} minutes before departure.",
        code_version=TRAINING_CODE_VERSION,
        pool=WAREHOUSE_WRITER_POOL,
    )
    def training_set(
        context: dg.AssetExecutionContext, config: TrainingSetConfig, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        from platform_assets.lib.ml.training import (
            TrainingWindow,
            data_fingerprint,
            reference_sample,
            window_rows,
        )
        from platform_assets.lib.ml.training_set import save_training_set

        hold_retrain_claim(context, platform_data, spec.name)
        run_spec = spec.with_overrides(training_window_days=config.training_window_days)
        features = resolve_features(run_spec, feature_roles(), feature_catalog())
        with connect(platform_data.paths.warehouse) as connection:
            window = TrainingWindow.ending_at(
                _cutoff(config, connection, run_spec),
                run_spec.training_window_days,
                run_spec.validation_days,
            )
            frame, population = window_rows(
                connection, features, spec.target, window, spec.prediction_lead_minutes
            )
        fingerprint = data_fingerprint(frame, [*features, spec.target])
        description = {
            "window_start": window.start.isoformat(),
            "window_end": window.end.isoformat(),
            "validation_start": window.validation_start.isoformat(),
            "features": features,
            "prediction_lead_minutes": spec.prediction_lead_minutes,
            "rows": len(frame),
            "fingerprint": fingerprint,
        }
        reference = reference_sample(population, features)
        save_training_set(
            training_set_folder(platform_data, spec.name, context.run.run_id),
            frame,
            description,
            reference,
        )
        target = frame[spec.target].astype(float)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(frame),
                "window": f"{window.start} .. {window.end}",
                "validation_days": f"{window.validation_start} .. {window.end}",
                "features": dg.MetadataValue.json(features),
                "prediction_lead_minutes": spec.prediction_lead_minutes,
                "data_fingerprint": fingerprint,
                # the drift reference: flights of the held-out days, labelled or not
                "reference_rows": len(reference),
                "target_mean": float(target.mean()) if len(frame) else float("nan"),
            }
        )

    return training_set


def _validation_plots(spec: ModelSpec, y_true, prediction) -> str:
    from platform_assets.lib.ml.plots import (
        calibration_markdown,
        residuals_markdown,
        roc_curve_markdown,
    )

    if spec.task == "binary_classification":
        return "\n\n".join(
            [
                roc_curve_markdown(y_true, prediction, f"{spec.name}: ROC (validation days)"),
                calibration_markdown(y_true, prediction, f"{spec.name}: calibration"),
            ]
        )
    return residuals_markdown(y_true, prediction, f"{spec.name}: residuals (validation days)")


def build_candidate_asset(spec: ModelSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=model_asset_key(spec.name, CANDIDATE),
        deps=[model_asset_key(spec.name, TRAINING_SET)],
        group_name=ML_GROUP,
        kinds={"python", "scikitlearn"},
        description=f"{spec.description} A new {spec.estimator} version fitted on the training "
        "set, scored on its held-out last days and registered as the candidate.",
        code_version=TRAINING_CODE_VERSION,
        pool=WAREHOUSE_WRITER_POOL,
    )
    def candidate(
        context: dg.AssetExecutionContext, config: CandidateConfig, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        from platform_assets.lib.ml import registry
        from platform_assets.lib.ml.daily_comparison import daily_metric
        from platform_assets.lib.ml.evaluation import predict, score
        from platform_assets.lib.ml.training import (
            TrainingWindow,
            is_held_out,
            prepare_features,
            target_values,
            train,
        )
        from platform_assets.lib.ml.training_set import (
            kept_training_sets,
            load_training_set,
            prune_training_sets,
        )

        hold_retrain_claim(context, platform_data, spec.name)
        run_spec = spec.with_overrides(params=config.hyperparameters)
        training_set_path = bound_training_set_folder(context, platform_data, spec.name)
        frame, described, reference = load_training_set(training_set_path, spec.name)
        features = described["features"]
        window = TrainingWindow(
            date.fromisoformat(described["window_start"]),
            date.fromisoformat(described["window_end"]),
            date.fromisoformat(described["validation_start"]),
        )
        trained = train(run_spec, frame, features, window)
        held_out = frame[is_held_out(frame, window)]
        y_true = target_values(spec, held_out)
        prediction = predict(spec.task, trained.pipeline, prepare_features(held_out, features))
        metrics = score(spec.task, y_true, prediction)
        # what the performance trigger compares the served version's recent days with
        metrics[spec.promotion.mean_daily_key] = float(
            daily_metric(
                spec.promotion.metric, held_out["flight_date"].dt.date, y_true, prediction
            ).mean()
        )
        with connect(platform_data.paths.warehouse) as connection:
            version = registry.register_version(
                connection,
                platform_data.paths.artifacts,
                model_name=spec.name,
                model=trained.pipeline,
                params={
                    "estimator": spec.estimator,
                    "hyperparameters": run_spec.params,
                    "features": features,
                    "prediction_lead_minutes": described["prediction_lead_minutes"],
                    "recency_half_life_days": spec.recency_half_life_days,
                    "target": spec.target,
                    "task": spec.task,
                    "validation_start": window.validation_start.isoformat(),
                    # the rows it was fitted on, kept per version (keep_training_sets)
                    "training_set_run_id": training_set_path.name,
                },
                metrics=metrics,
                # the first day it was fitted on: a long window may start before the data
                training_start=frame["flight_date"].min().date(),
                training_end=window.end,
                row_count=len(frame),
                data_fingerprint=described["fingerprint"],
                dbt_manifest_checksum=manifest_checksum(),
                reference_sample=reference,
                actor=run_actor(context.run.run_id),
            )
            pruned = prune_training_sets(
                training_set_path.parent,
                kept_training_sets(connection, spec, training_set_path.name),
            )
        return dg.MaterializeResult(
            metadata={
                "version": version.version,
                "training_set": str(training_set_path),
                "training_sets_pruned": len(pruned),
                **{f"validation_{name}": value for name, value in metrics.items()},
                "train_rows": trained.train_rows,
                "validation_rows": trained.validation_rows,
                "window": f"{window.start} .. {window.end}",
                "features": dg.MetadataValue.json(features),
                "hyperparameters": dg.MetadataValue.json(run_spec.params),
                "recency_half_life_days": spec.recency_half_life_days,
                "training_seconds": round(trained.duration_seconds, 2),
                "data_fingerprint": described["fingerprint"],
                "plots": dg.MetadataValue.md(_validation_plots(spec, y_true, prediction)),
            }
        )

    return candidate
