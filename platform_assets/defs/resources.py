"""Resources shared by the assets: where the platform's data lives, and the dbt CLI."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from platform_assets.lib.paths import DataPaths

WAREHOUSE_WRITER_POOL = "warehouse_writer"
"""Every asset that writes the DuckDB file runs in this pool; `dagster.yaml` limits it to one."""


class PlatformData(dg.ConfigurableResource):
    """The data root: PLATFORM_DATA_DIR (default ./data) unless a directory is given."""

    data_dir: str | None = None

    @property
    def paths(self) -> DataPaths:
        if self.data_dir is None:
            return DataPaths.from_env()
        return DataPaths(Path(self.data_dir).resolve())
