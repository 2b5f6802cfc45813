"""Where the platform keeps its data: every path hangs off one root, PLATFORM_DATA_DIR.

Tests and users point the whole platform somewhere else by changing that one variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "data"


@dataclass(frozen=True)
class DataPaths:
    """The layout under one data root: warehouse file, landing zone, artifacts and reports."""

    root: Path

    @classmethod
    def from_env(cls) -> DataPaths:
        """Read PLATFORM_DATA_DIR (default ./data), always resolved to an absolute path."""
        return cls(Path(os.environ.get("PLATFORM_DATA_DIR", DEFAULT_DATA_DIR)).resolve())

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def landing_dir(self, source: str) -> Path:
        """The folder where one source's files arrive (a daily source or `reference`)."""
        return self.landing / source

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def reports(self) -> Path:
        return self.root / "reports"
