"""Shared fixtures: every test gets its own data root and, where it needs one, its own instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from platform_assets.lib.paths import DataPaths


@pytest.fixture
def data_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataPaths:
    """A fresh, empty PLATFORM_DATA_DIR for this test."""
    root = tmp_path / "data"
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(root))
    return DataPaths(root)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A real, temporary Dagster instance."""
    with dg.instance_for_test() as test_instance:
        yield test_instance
