"""The declarative automation that carries each new day from raw tables to monitoring.

Dagster's `eager()` only looks at the latest time partition, which for a fixed demo year
is always 2013-12-31: the days being replayed would never move. This condition follows
updates for every daily partition instead, looks through the dbt views (virtual assets: a
view has no data to wait for), and ignores the parents whose update must not re-run
history: reference tables and a newly promoted champion.
"""

from collections.abc import Sequence

import dagster as dg

from platform_assets.lib.raw_contract import REFERENCE_SOURCES

REFERENCE_TABLES = [dg.AssetKey(["raw", source.name]) for source in REFERENCE_SOURCES]


def follows_new_days(ignore: Sequence[dg.AssetKey] = ()) -> dg.AutomationCondition:
    """Run a day's partition once all its parents exist and one of them has a new update."""
    updated = (
        dg.AutomationCondition.any_deps_updated()
        .resolve_through_virtual()
        .ignore(dg.AssetSelection.assets(*REFERENCE_TABLES, *ignore))
    )
    return (
        updated.since_last_handled()
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("follows new days")


automation_sensor = dg.AutomationConditionSensorDefinition(
    "daily_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates the assets' automation conditions: carries new days through dbt, "
    "predictions and monitoring.",
)
