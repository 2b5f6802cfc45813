"""The one place that assembles the platform's Dagster definitions.

The assets are listed here rather than found with `load_from_defs_folder`: most of them are
built by factories from the settings (the partition range) and the models file (one family
of assets and one retraining sensor per declared model), which a folder scan cannot call.
"""

from __future__ import annotations

import dagster as dg

from platform_assets.defs.assets_by_stage import build_platform_assets
from platform_assets.defs.automation.conditions import automation_sensor
from platform_assets.defs.automation.failure_alerts import run_failure_alerts
from platform_assets.defs.automation.landing_sensor import landing_sensor
from platform_assets.defs.automation.schedules import (
    build_weekly_retrain,
    demo_clock,
    demo_clock_job,
)
from platform_assets.defs.ml.model_family import build_all_retraining_sensors
from platform_assets.defs.resources import PlatformData
from platform_assets.defs.transform.dbt_models import dbt_resource
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.settings import PlatformSettings


def build_definitions(settings: PlatformSettings | None = None) -> dg.Definitions:
    """Everything the code location serves, with the settings and models file as they are now
    (a reload of the code location reads them again)."""
    settings = settings or PlatformSettings.from_env()
    specs = load_model_specs(settings.models_file)
    assets = build_platform_assets(settings, specs)
    return dg.Definitions(
        assets=[*assets.ingest_and_dbt, *assets.models],
        jobs=[demo_clock_job],
        schedules=[demo_clock, build_weekly_retrain(list(specs))],
        sensors=[
            landing_sensor,
            automation_sensor,
            *build_all_retraining_sensors(specs),
            run_failure_alerts,
        ],
        resources={
            "platform_data": PlatformData(data_dir=str(settings.data_dir)),
            "dbt": dbt_resource,
        },
        # A run's steps in its own process, one after another: every step that touches the
        # warehouse waits for the one `warehouse_writer` slot anyway, and a process per step
        # would load the definitions again for each (seconds a step).
        executor=dg.in_process_executor,
    )


defs = build_definitions()
