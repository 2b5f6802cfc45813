"""Every dbt model as a daily-partitioned asset, built by `dbt build` for the run's day range.

One run covers a whole range (a year's backfill is one `dbt build`), with the range passed
as `--vars`; the incremental feature table replaces exactly those days. dbt tests become
asset checks. The feature table's partition also gets a column profile, computed after dbt
has released the warehouse file.
"""

import json
import os
import sys
from datetime import date
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from platform_assets.defs.partitions import daily_partitions, partition_days
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.defs.table_metadata import table_metadata
from platform_assets.defs.transform.translator import PlatformDbtTranslator
from platform_assets.lib.table_summary import column_profile_markdown
from platform_assets.lib.warehouse import connect

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
FEATURE_TABLE = "marts.flight_features"
FEATURE_TABLE_KEY = dg.AssetKey(["marts", "flight_features"])

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if not dbt_project.manifest_path.exists():
    raise FileNotFoundError(
        f"The dbt manifest {dbt_project.manifest_path} is missing: run `make dev` (or "
        "`make manifest`) to prepare it before loading the definitions."
    )


def dbt_window_vars(days: list[date]) -> dict[str, str]:
    """The `--vars` that select a run's days in the incremental models (inclusive bounds)."""
    return {"min_date": days[0].isoformat(), "max_date": days[-1].isoformat()}


def _feature_partition_metadata(platform_data: PlatformData, days: list[date]) -> dict:
    where, params = "flight_date BETWEEN ? AND ?", (days[0], days[-1])
    with connect(platform_data.paths.warehouse, read_only=True) as connection:
        return {
            **table_metadata(connection, FEATURE_TABLE, where, params),
            "column_profile": dg.MetadataValue.md(
                column_profile_markdown(connection, FEATURE_TABLE, where, params)
            ),
        }


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=PlatformDbtTranslator(),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_WRITER_POOL,
    name="dbt_models",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, platform_data: PlatformData):
    days = partition_days(context)
    # dbt runs in the project folder: give it the data root as an absolute path.
    os.environ["PLATFORM_DATA_DIR"] = str(platform_data.paths.root)
    invocation = dbt.cli(["build", "--vars", json.dumps(dbt_window_vars(days))], context=context)
    # Events are held until dbt exits: the profile reads the warehouse file dbt is writing.
    events = list(invocation.stream())
    for event in events:
        if (
            isinstance(event, dg.Output)
            and context.asset_key_for_output(event.output_name) == FEATURE_TABLE_KEY
        ):
            metadata = _feature_partition_metadata(platform_data, days)
            event = event.with_metadata({**event.metadata, **metadata})
        yield event


# The dbt installed next to this Python, so the platform works without an activated venv.
dbt_resource = DbtCliResource(
    project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
)
