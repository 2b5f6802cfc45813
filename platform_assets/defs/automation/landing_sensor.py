"""The landing sensor: starts ingestion for each day whose files arrive.

Consecutive new days go into one run (a partition range, as a backfill would), so a
month delivered at once is one run, not thirty. The first run also builds the reference
tables and the dbt views, which everything downstream needs once.
"""

import json

import dagster as dg

from platform_assets.defs.partitions import build_daily_partitions
from platform_assets.defs.transform.dbt_models import dbt_unpartitioned
from platform_assets.lib.landing import arrived_days, contiguous_ranges, reference_signature
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.raw_contract import DAILY_SOURCES, REFERENCE_SOURCES
from platform_assets.lib.settings import PlatformSettings

DAILY_KEYS = [dg.AssetKey(["raw", source.name]) for source in DAILY_SOURCES]
REFERENCE_KEYS = [dg.AssetKey(["raw", source.name]) for source in REFERENCE_SOURCES]
UNPARTITIONED_KEYS = list(dbt_unpartitioned.keys)
MAX_DAYS_PER_TICK = 366


def _views_missing(instance: dg.DagsterInstance) -> bool:
    return any(instance.get_latest_materialization_event(key) is None for key in UNPARTITIONED_KEYS)


@dg.sensor(
    name="landing_sensor",
    target=dg.AssetSelection.assets(*DAILY_KEYS, *REFERENCE_KEYS, *UNPARTITIONED_KEYS),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts ingestion for each day whose flights and weather files have arrived "
    "(and for re-delivered files); reference files when they change.",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    settings = PlatformSettings.from_env()
    landing = DataPaths(settings.data_dir).landing
    cursor = json.loads(context.cursor) if context.cursor else {}
    loaded_days: dict[str, str] = cursor.get("days", {})
    valid_days = set(build_daily_partitions(settings).get_partition_keys())
    arrived = arrived_days(landing)
    new_days = sorted(
        day for day, sig in arrived.items() if day in valid_days and loaded_days.get(day) != sig
    )[:MAX_DAYS_PER_TICK]
    references = reference_signature(landing)
    reference_changed = references is not None and references != cursor.get("reference")
    bootstrap = [*REFERENCE_KEYS, *UNPARTITIONED_KEYS] if _views_missing(context.instance) else []
    requests = []
    for first, last in contiguous_ranges(new_days):
        extra = bootstrap or (REFERENCE_KEYS if reference_changed else [])
        requests.append(
            dg.RunRequest(
                run_key=f"landing:{first}:{last}:{arrived[last]}",
                asset_selection=[*DAILY_KEYS, *extra],
                tags={
                    "dagster/asset_partition_range_start": first,
                    "dagster/asset_partition_range_end": last,
                    "platform/trigger": "landing_sensor",
                },
            )
        )
        bootstrap, reference_changed = [], False
    if reference_changed:
        requests.append(
            dg.RunRequest(
                run_key=f"landing:reference:{references}",
                asset_selection=REFERENCE_KEYS,
                tags={"platform/trigger": "landing_sensor"},
            )
        )
    if not requests:
        return dg.SensorResult(skip_reason="no new or re-delivered landing files")
    loaded_days.update({day: arrived[day] for day in new_days})
    new_cursor = {"days": loaded_days, "reference": references}
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(new_cursor))
