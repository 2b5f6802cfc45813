"""Shared fixtures: every test gets its own data root and, where it needs one, its own instance."""

from __future__ import annotations

import shutil
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


FEATURE_DAYS = ("2013-01-01", "2013-02-11")


@pytest.fixture(scope="session")
def feature_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with real features for six weeks of 2013, built once through Dagster and dbt.

    Tests that start from features copy it into their own data root (`ml_data_paths`).
    """
    from tests.helpers import materialize_range, platform_assets, replay_days

    paths = DataPaths(tmp_path_factory.mktemp("feature_warehouse") / "data")
    replay_days(paths, *FEATURE_DAYS)
    with dg.instance_for_test() as build_instance:
        result = materialize_range(
            platform_assets().ingest_and_dbt, paths, build_instance, *FEATURE_DAYS
        )
    assert result.success
    return paths.warehouse


@pytest.fixture
def ml_data_paths(data_paths: DataPaths, feature_warehouse: Path) -> DataPaths:
    """A fresh data root whose warehouse already holds the six weeks of features."""
    data_paths.root.mkdir(parents=True)
    shutil.copy(feature_warehouse, data_paths.warehouse)
    return data_paths
