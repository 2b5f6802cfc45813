"""The landing sensor: starts ingestion for each day whose files arrive.

Consecutive new days go into one run (a partition range, as a backfill would), so a
month delivered at once is one run, not thirty. The first run also builds the reference
tables and the dbt views, which everything downstream needs once. The cursor keeps each
requested day until its run succeeds: a day whose run failed (a killed run, a warehouse that
was busy) is asked for again once that run has ended, never while it is queued or running,
up to the configured number of attempts; then the sensor alerts and waits for the files to
be delivered again.
"""

import json
from datetime import UTC, datetime

import dagster as dg

from platform_assets.defs.automation.failure_alerts import record_alert
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
REQUEST_TAG = "platform/landing_request"  # the request a run was started for (its run key)


def _views_missing(instance: dg.DagsterInstance) -> bool:
    return any(instance.get_latest_materialization_event(key) is None for key in UNPARTITIONED_KEYS)


def _run_outcomes(instance: dg.DagsterInstance, run_keys: set[str]) -> dict[str, str]:
    """'succeeded' or 'failed' for each request whose run has ended; a request whose run is
    queued, running or not yet launched has no outcome yet, and is not asked for again until
    it has one."""
    outcomes = {}
    for key in run_keys:
        records = instance.get_run_records(dg.RunsFilter(tags={REQUEST_TAG: key}), limit=1)
        status = records[0].dagster_run.status if records else None
        if status == dg.DagsterRunStatus.SUCCESS:
            outcomes[key] = "succeeded"
        elif status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            outcomes[key] = "failed"
    return outcomes


def _retries(
    instance: dg.DagsterInstance, pending: dict[str, dict], attempts: int, arrived: set[str]
) -> tuple[list[str], list[str]]:
    """Days to ask for again (their run failed, attempts are left) and days given up on.

    `pending` maps each requested day to its request's run key and the day's own attempt; it
    is updated in place: days whose run succeeded, whose files are gone or that are given up
    on leave it.
    """
    outcomes = _run_outcomes(instance, {entry["run_key"] for entry in pending.values()})
    again, given_up = [], []
    for day, entry in sorted(pending.items()):
        outcome = outcomes.get(entry["run_key"])
        if outcome == "succeeded" or day not in arrived:
            del pending[day]
        elif outcome == "failed" and entry["attempt"] < attempts:
            again.append(day)
        elif outcome == "failed":
            given_up.append(day)
            del pending[day]
    return again, given_up


def _alert_given_up(context: dg.SensorEvaluationContext, days: list[str], attempts: int) -> None:
    """Record the alert; a webhook that cannot be reached must not stop ingestion."""
    alert = {
        "at": datetime.now(UTC).isoformat(),
        "job": "landing_sensor",
        "days": days,
        "message": f"Ingest of {', '.join(days)} failed {attempts} times: the landing sensor "
        "stops asking. Fix the files (the failed runs say what is wrong) and deliver them "
        "again.",
    }
    try:
        record_alert(alert)
    except OSError as error:
        context.log.warning(f"Could not post the alert for {', '.join(days)}: {error}")


def _ingest_request(
    first: str, last: str, signature: str, attempt: int, extra: list[dg.AssetKey]
) -> dg.RunRequest:
    """The run that ingests the days first..last (with the reference tables and views, if
    `extra` names them); a retry gets a run key of its own."""
    run_key = f"landing:{first}:{last}:{signature}" + (f":{attempt}" if attempt > 1 else "")
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=[*DAILY_KEYS, *extra],
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
            "platform/trigger": "landing_sensor",
            "platform/attempt": str(attempt),
            REQUEST_TAG: run_key,
        },
    )


@dg.sensor(
    name="landing_sensor",
    target=dg.AssetSelection.assets(*DAILY_KEYS, *REFERENCE_KEYS, *UNPARTITIONED_KEYS),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts ingestion for each day whose flights and weather files have arrived "
    "(and for re-delivered files); reference files when they change. A day whose ingest "
    "failed is asked for again, up to PLATFORM_LANDING_ATTEMPTS runs, then alerted.",
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    settings = PlatformSettings.from_env()
    landing = DataPaths(settings.data_dir).landing
    cursor = json.loads(context.cursor) if context.cursor else {}
    loaded_days: dict[str, str] = cursor.get("days", {})
    pending: dict[str, dict] = cursor.get("pending", {})
    valid_days = set(build_daily_partitions(settings).get_partition_keys())
    arrived = arrived_days(landing)
    new_days = sorted(
        day for day, sig in arrived.items() if day in valid_days and loaded_days.get(day) != sig
    )[:MAX_DAYS_PER_TICK]
    again, given_up = _retries(context.instance, pending, settings.landing_attempts, set(arrived))
    again = [day for day in again if day not in new_days]
    if given_up:
        _alert_given_up(context, given_up, settings.landing_attempts)
    references = reference_signature(landing)
    reference_changed = references is not None and references != cursor.get("reference")
    bootstrap = [*REFERENCE_KEYS, *UNPARTITIONED_KEYS] if _views_missing(context.instance) else []
    requests = []
    asked = {day: pending[day]["attempt"] + 1 for day in again}
    for day in new_days:
        asked[day] = 1
    for first, last in contiguous_ranges(sorted(asked)):
        extra = bootstrap or (REFERENCE_KEYS if reference_changed else [])
        bootstrap, reference_changed = [], False
        attempt = max(asked[day] for day in asked if first <= day <= last)
        request = _ingest_request(first, last, arrived[last], attempt, extra)
        requests.append(request)
        for day in asked:
            if first <= day <= last:  # each day keeps its own count; the key takes the range's
                pending[day] = {"run_key": request.run_key, "attempt": asked[day]}
    if reference_changed:
        requests.append(
            dg.RunRequest(
                run_key=f"landing:reference:{references}",
                asset_selection=REFERENCE_KEYS,
                tags={"platform/trigger": "landing_sensor"},
            )
        )
    loaded_days.update({day: arrived[day] for day in new_days})
    new_cursor = json.dumps({"days": loaded_days, "reference": references, "pending": pending})
    if not requests:
        return dg.SensorResult(skip_reason="no new, re-delivered or failed days", cursor=new_cursor)
    return dg.SensorResult(run_requests=requests, cursor=new_cursor)
