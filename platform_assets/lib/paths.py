"""Where the platform keeps its data: every path hangs off one root, PLATFORM_DATA_DIR.

Tests and users point the whole platform somewhere else by changing that one variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platform_assets.lib.settings import PlatformSettings


@dataclass(frozen=True)
class DataPaths:
    """The layout under one data root: warehouse, landing zone, artifacts, reports, features,
    the sensors' files."""

    root: Path

    @classmethod
    def from_env(cls) -> DataPaths:
        """The data root of the settings (PLATFORM_DATA_DIR, default ./data), made absolute."""
        return cls(PlatformSettings.from_env().data_dir)

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def monitoring(self) -> Path:
        """What the retraining sensors read and write instead of the warehouse
        (lib/monitoring/sensor_files.py)."""
        return self.root / "monitoring"

    @property
    def evidently(self) -> Path:
        """The Evidently workspace: a project per model, a snapshot per monitored day
        (lib/monitoring/evidently_workspace.py); `evidently ui` serves it."""
        return self.root / "evidently"

    @property
    def feature_files(self) -> Path:
        """The feature views as Parquet: a folder per view, a file per day (Feast's sources)."""
        return self.root / "features"

    @property
    def feast(self) -> Path:
        """This root's Feast repository: feature_store.yaml, its registry and online store."""
        return self.root / "feast"

    @property
    def served_predictions(self) -> Path:
        """The prediction service's logs: a JSON-lines file per process, one line per served
        prediction (serving/prediction_log.py); `ml/served_predictions` loads them."""
        return self.root / "served_predictions"
