"""The dbt models as assets: views and reference tables unpartitioned, incremental tables by day.

Views hold no data, so they are built once (and again when their SQL changes); the reference
feature tables (plane, destination airport) follow their raw tables. A day's run touches only
the incremental tables (the feature table and the time-based feature views): the cost of a
day does not grow with history, and a year's backfill records one materialization per day
per table. A run covers a whole range (a year's backfill is one `dbt build`), passed in the
environment of dbt (macros/date_window.sql says why not as `--vars`); each incremental table
replaces exactly those days. dbt tests become asset checks.
Each incremental table's partition also gets its row count and a column profile, computed
after dbt has exited; the feature table's run also publishes its labelled days for the
retraining sensors.
"""

import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache, cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.compat import DBT_PYTHON_VERSION

from platform_assets.defs.partitions import partition_days
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.defs.table_metadata import table_metadata
from platform_assets.defs.transform.translator import PlatformDbtTranslator
from platform_assets.lib.table_summary import column_profile_markdown
from platform_assets.lib.warehouse import connect, quote_identifier

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
FEATURE_TABLE_KEY = dg.AssetKey(["marts", "flight_features"])
CHECK_RESULTS = (dg.AssetCheckResult, dg.AssetCheckEvaluation)

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if not dbt_project.manifest_path.exists():
    raise FileNotFoundError(
        f"The dbt manifest {dbt_project.manifest_path} is missing: run `make dev` (or "
        "`make manifest`) to prepare it before loading the definitions."
    )


def dbt_window_environment(days: list[date]) -> dict[str, str]:
    """The environment that selects a run's days in the incremental models (inclusive bounds)."""
    return {"PLATFORM_MIN_DATE": days[0].isoformat(), "PLATFORM_MAX_DATE": days[-1].isoformat()}


def _partition_metadata(
    platform_data: PlatformData, table: str, window_column: str, days: list[date]
) -> dict:
    """Row count, schema and column profile of the run's days of one incremental table."""
    where = f"{quote_identifier(window_column)} BETWEEN ? AND ?"
    params = (days[0], days[-1])
    with connect(platform_data.paths.warehouse, read_only=True) as connection:
        return {
            **table_metadata(connection, table, where, params),
            "column_profile": dg.MetadataValue.md(
                column_profile_markdown(connection, table, where, params)
            ),
        }


def _publish_sensor_inputs(platform_data: PlatformData, table: str) -> dg.MetadataValue:
    """The feature table's labelled flights per day, as the file the retraining sensors read
    instead of the warehouse (lib/monitoring/sensor_files.py), after the champion manifests
    they read with it: labelled days without a manifest would look like a model to train."""
    from platform_assets.defs.ml.ml_context import feature_roles  # it imports this module
    from platform_assets.lib.monitoring.sensor_files import (
        publish_labelled_days,
        refresh_champion_manifests,
    )

    labels = [name for name, role in feature_roles().items() if role == "label"]
    paths = platform_data.paths
    with connect(paths.warehouse, read_only=True) as connection:
        refresh_champion_manifests(connection, paths.artifacts)
        path = publish_labelled_days(connection, paths.monitoring, table, labels)
    return dg.MetadataValue.path(str(path))


@cache
def _window_columns() -> dict[dg.AssetKey, str]:
    """The window column (config.window_column) of each incremental model, by asset key."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    translator = PlatformDbtTranslator()
    return {
        translator.get_asset_key(node): node["config"].get("window_column", "flight_date")
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """These variables set while dbt's process starts, then the step's environment as it was:
    steps that share a process (the in-process executor) must not inherit a run's data root
    or window."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value


def _run_dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    platform_data: PlatformData,
    arguments: list[str],
    window: dict[str, str] | None = None,
) -> Iterator:
    """`dbt build` of the selected models and their tests; its events, yielded once dbt exits.

    A failed build yields only its test results (the failed tests become failed asset
    checks a user sees on the asset), then fails the step: no model of it is recorded as
    materialized, so automation does not carry its days downstream. Each invocation writes
    a folder under dbt_project/target (manifest, compiled SQL, run results: about 2 MB, so a
    year of daily runs left 1.5 GB): a successful build's folder is removed, a failed one
    kept to inspect. `window` is the environment of an incremental run's days; dbt without it
    builds every day.
    """
    environment = {
        # dbt runs in the project folder: give it the data root as an absolute path
        "PLATFORM_DATA_DIR": str(platform_data.paths.root),
        # always both: a build without a window must not inherit one from this process
        **(window or {"PLATFORM_MIN_DATE": "", "PLATFORM_MAX_DATE": ""}),
    }
    with _environment(environment):
        invocation = dbt.cli(["build", *arguments], context=context, raise_on_error=False)
    events = list(invocation.stream())
    if not invocation.is_successful():
        yield from (event for event in events if isinstance(event, CHECK_RESULTS))
        raise invocation.get_error()
    yield from events
    shutil.rmtree(invocation.target_path, ignore_errors=True)


# What both dbt asset groups share: the prepared manifest, our translator, the writer pool.
DBT_ASSETS_ARGUMENTS = {
    "manifest": dbt_project.manifest_path,
    "project": dbt_project,
    "dagster_dbt_translator": PlatformDbtTranslator(),
    "pool": WAREHOUSE_WRITER_POOL,
}


@dbt_assets(
    **DBT_ASSETS_ARGUMENTS,
    select="config.materialized:view config.materialized:table",
    name="dbt_unpartitioned",
)
def dbt_unpartitioned(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, platform_data: PlatformData
):
    """Staging and intermediate views and the reference feature tables: not partitioned.

    Views are rebuilt when their SQL changes, not every day; the reference tables when their
    raw tables change; their tests run with them.
    """
    # Cautious: a test that also reads the feature table belongs to the feature table's run.
    yield from _run_dbt_build(context, dbt, platform_data, ["--indirect-selection", "cautious"])


def build_dbt_daily_tables(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The incremental dbt models (the feature table, the time-based feature views) by day."""

    @dbt_assets(
        **DBT_ASSETS_ARGUMENTS,
        select="config.materialized:incremental",
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        name="dbt_daily_tables",
    )
    def dbt_daily_tables(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, platform_data: PlatformData
    ):
        """The incremental tables, built for the run's days only."""
        days = partition_days(context)
        # Events are held until dbt exits: the profile reads the warehouse file dbt was writing.
        window = dbt_window_environment(days)
        for event in _run_dbt_build(context, dbt, platform_data, [], window):
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                table = ".".join(key.path)
                metadata = _partition_metadata(platform_data, table, _window_columns()[key], days)
                if key == FEATURE_TABLE_KEY:
                    metadata["labelled_days_file"] = _publish_sensor_inputs(platform_data, table)
                event = event.with_metadata({**event.metadata, **metadata})
            yield event

    return dbt_daily_tables


class InstalledDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, told the dbt version instead of asking the executable.

    dagster-dbt runs `dbt --version` once per run to learn it, and dbt then asks PyPI for its
    latest release: a network call at run time (it hangs where there is no network) and
    1.7 s of every run that builds a dbt model. The executable is the dbt-core installed next
    to this Python, so the package's version is the answer.
    """

    @cached_property
    def _cli_version(self):
        return DBT_PYTHON_VERSION


# The dbt installed next to this Python, so the platform works without an activated venv.
dbt_resource = InstalledDbtCliResource(
    project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
)
