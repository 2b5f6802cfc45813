"""The one place that assembles the platform's Dagster definitions."""

import dagster as dg

from platform_assets.defs.automation.conditions import automation_sensor
from platform_assets.defs.automation.failure_alerts import run_failure_alerts
from platform_assets.defs.automation.landing_sensor import landing_sensor
from platform_assets.defs.automation.schedules import (
    build_weekly_retrain,
    demo_clock,
    demo_clock_job,
)
from platform_assets.defs.ingest.raw_assets import raw_assets
from platform_assets.defs.ml.model_family import (
    build_all_model_families,
    build_all_retraining_sensors,
)
from platform_assets.defs.resources import PlatformData
from platform_assets.defs.transform.dbt_models import dbt_model_assets, dbt_resource


def build_definitions() -> dg.Definitions:
    """Everything the code location serves, with the models file as it is now (a reload)."""
    return dg.Definitions(
        assets=[*raw_assets, *dbt_model_assets, *build_all_model_families()],
        jobs=[demo_clock_job],
        schedules=[demo_clock, build_weekly_retrain()],
        sensors=[
            landing_sensor,
            automation_sensor,
            *build_all_retraining_sensors(),
            run_failure_alerts,
        ],
        resources={"platform_data": PlatformData(), "dbt": dbt_resource},
    )


defs = build_definitions()
