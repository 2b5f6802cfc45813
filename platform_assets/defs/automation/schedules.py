"""Schedules: a demo clock that delivers the next day of 2013, and a weekly safety-net retrain."""

from datetime import date, timedelta

import dagster as dg

from platform_assets.defs.automation.retraining_sensors import retraining_keys
from platform_assets.lib.demo_data import replay
from platform_assets.lib.landing import day_files
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.raw_contract import FLIGHTS
from platform_assets.lib.settings import PlatformSettings


def next_demo_day(settings: PlatformSettings) -> date | None:
    """The day after the latest delivered flights file, within the partition range."""
    landing = DataPaths(settings.data_dir).landing
    start, end = settings.partition_start, settings.partition_end
    delivered = [date.fromisoformat(day) for day in day_files(landing / FLIGHTS.name)]
    following = max(delivered) + timedelta(days=1) if delivered else start
    return following if following <= end else None


@dg.op(description="Delivers the next day of the demo year into the landing zone.")
def deliver_next_demo_day(context: dg.OpExecutionContext) -> None:
    settings = PlatformSettings.from_env()
    landing = DataPaths(settings.data_dir).landing
    day = next_demo_day(settings)
    if day is None:
        context.log.info("The demo year is fully delivered.")
        return
    replay(landing, day, day)
    context.log.info(f"Delivered {day} into {landing}.")


@dg.job(description="One tick of the demo clock: the next day of 2013 arrives.")
def demo_clock_job():
    deliver_next_demo_day()


demo_clock = dg.ScheduleDefinition(
    name="demo_clock",
    job=demo_clock_job,
    cron_schedule="*/2 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every two minutes, the next day of 2013 arrives (turn on to watch the year "
    "flow: the landing sensor and automation take it from there).",
)


def build_weekly_retrain(model_names: list[str]) -> dg.ScheduleDefinition:
    """The weekly retrain of every declared model."""
    keys = [key for name in model_names for key in retraining_keys(name)]
    return dg.ScheduleDefinition(
        name="weekly_safety_net_retrain",
        target=dg.AssetSelection.assets(*keys),
        cron_schedule="0 3 * * 0",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Sundays 03:00: retrains every model whatever the signals say; the "
        "promotion gate still decides whether the new version serves.",
        tags={"platform/trigger": "weekly_safety_net_retrain"},
    )
