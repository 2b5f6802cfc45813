"""One asset per raw table: daily sources are partitioned by day, reference tables are not.

Asset keys are `raw/<table>`, the same as the warehouse tables and the dbt sources that
map onto them; renaming one means renaming the dbt source's `meta.dagster.asset_key` too.
"""

import dagster as dg

from platform_assets.defs.partitions import partition_days
from platform_assets.defs.resources import WAREHOUSE_WRITER_POOL, PlatformData
from platform_assets.defs.table_metadata import table_metadata
from platform_assets.lib.ingest import LandingFile, load_files
from platform_assets.lib.landing import REFERENCE_FOLDER, daily_file_name
from platform_assets.lib.raw_contract import ALL_SOURCES, RawSource
from platform_assets.lib.table_summary import markdown_table
from platform_assets.lib.warehouse import connect

INGEST_CODE_VERSION = "1"


def _landing_files(source: RawSource, platform_data: PlatformData, context) -> list[LandingFile]:
    landing = platform_data.paths.landing
    if not source.daily:
        return [LandingFile(landing / REFERENCE_FOLDER / f"{source.name}.csv")]
    return [
        LandingFile(landing / source.name / daily_file_name(day), day)
        for day in partition_days(context)
    ]


def _load_metadata(counts: dict, files: list[LandingFile]) -> dict:
    """rows_read = rows_loaded + rows_rejected over the run's files (one day, or a range).

    A range run records the same totals on each of its days; the days that had rejects are
    listed, and `raw.rejected_rows` holds every rejected line.
    """
    metadata = {
        "rows_read": sum(c.rows_read for c in counts.values()),
        "rows_loaded": sum(c.rows_loaded for c in counts.values()),
        "rows_rejected": sum(c.rows_rejected for c in counts.values()),
    }
    if len(files) == 1:
        metadata["source_file"] = dg.MetadataValue.path(str(files[0].path))
        return metadata
    metadata["files_in_run"] = len(files)
    with_rejects = [
        (day, c.rows_read, c.rows_loaded, c.rows_rejected)
        for day, c in sorted(counts.items())
        if c.rows_rejected
    ]
    if with_rejects:
        metadata["partitions_with_rejects"] = dg.MetadataValue.md(
            markdown_table(["partition", "read", "loaded", "rejected"], with_rejects)
        )
    return metadata


def build_raw_asset(source: RawSource, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The asset that loads one source's landing files into `raw.<source>`."""
    partitioned = {"partitions_def": partitions} if source.daily else {}

    @dg.asset(
        key=["raw", source.name],
        group_name="ingest",
        kinds={"python", "duckdb"},
        description=f"{source.description} Loaded from the landing zone into `{source.table}`; "
        "rows that break the raw contract go to `raw.rejected_rows`.",
        code_version=INGEST_CODE_VERSION,
        pool=WAREHOUSE_WRITER_POOL,
        backfill_policy=dg.BackfillPolicy.single_run() if source.daily else None,
        **partitioned,
    )
    def raw_asset(
        context: dg.AssetExecutionContext, platform_data: PlatformData
    ) -> dg.MaterializeResult:
        files = _landing_files(source, platform_data, context)
        with connect(platform_data.paths.warehouse) as connection:
            counts = load_files(connection, source, files)
            if source.daily:
                days = [f.partition for f in files]
                written = table_metadata(
                    connection, source.table, "partition_date BETWEEN ? AND ?", (days[0], days[-1])
                )
            else:
                written = table_metadata(connection, source.table)
        return dg.MaterializeResult(metadata={**_load_metadata(counts, files), **written})

    return raw_asset


def build_raw_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """One asset per raw table; the daily sources on `partitions`."""
    return [build_raw_asset(source, partitions) for source in ALL_SOURCES]
