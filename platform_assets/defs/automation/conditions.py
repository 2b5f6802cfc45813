"""The declarative automation that carries each new day from raw tables to monitoring.

Dagster's `eager()` only looks at the latest time partition, which for a fixed demo year
is always 2013-12-31: the days being replayed would never move. This condition follows
updates for every daily partition instead, looks through the dbt views (virtual assets: a
view has no data to wait for), and ignores the parents whose update must not re-run
history: reference data and a newly promoted champion.
"""

from collections.abc import Sequence

import dagster as dg

from platform_assets.lib.features.catalog import FeatureCatalog
from platform_assets.lib.raw_contract import REFERENCE_SOURCES

REFERENCE_TABLES = [dg.AssetKey(["raw", source.name]) for source in REFERENCE_SOURCES]


def _runs_after(updated: dg.AutomationCondition, label: str) -> dg.AutomationCondition:
    """Run once `updated` holds, its parents all exist and none of them is being built."""
    return (
        updated.since_last_handled()
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label(label)


def follows_new_days(ignore: Sequence[dg.AssetKey] = ()) -> dg.AutomationCondition:
    """Run a day's partition once all its parents exist and one of them has a new update.

    Reference data (the raw reference tables, the plane and airport feature views) is
    ignored: a re-delivered planes file must not re-run every day of the year.
    """
    reference = [
        *REFERENCE_TABLES,
        *(
            dg.AssetKey(view.table.split("."))
            for view in FeatureCatalog.from_manifest().views.values()
            if view.window_column is None
        ),
    ]
    updated = (
        dg.AutomationCondition.any_deps_updated()
        .resolve_through_virtual()
        .ignore(dg.AssetSelection.assets(*reference, *ignore))
    )
    return _runs_after(updated, "follows new days")


def follows_reference_data() -> dg.AutomationCondition:
    """Rebuild an unpartitioned table when a raw table it reads (through views) changes."""
    updated = dg.AutomationCondition.any_deps_updated().resolve_through_virtual()
    return _runs_after(updated, "follows reference data")


automation_sensor = dg.AutomationConditionSensorDefinition(
    "daily_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates the assets' automation conditions: carries new days through dbt, "
    "predictions and monitoring.",
)
