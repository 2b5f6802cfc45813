"""Shared fixtures: every test gets its own data root and, where it needs one, its own instance."""

from __future__ import annotations

import fcntl
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
def feature_warehouse(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A warehouse with real features for six weeks of 2013, built once through Dagster and dbt.

    Built once for the whole run: the first of the parallel workers (pytest-xdist) builds it
    under a file lock, the others wait and reuse it. Tests that start from features copy it
    into their own data root (`ml_data_paths`).
    """
    from tests.helpers import materialize_range, platform_assets, replay_days

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base
    built = shared / "feature_warehouse"
    with (shared / "feature_warehouse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():  # built whole or not at all: a failed build leaves nothing
            building = DataPaths(shared / "feature_warehouse_building" / "data")
            replay_days(building, *FEATURE_DAYS)
            with dg.instance_for_test() as build_instance:
                result = materialize_range(
                    platform_assets().ingest_and_dbt, building, build_instance, *FEATURE_DAYS
                )
            assert result.success
            building.root.parent.rename(built)
    return DataPaths(built / "data").warehouse


@pytest.fixture
def ml_data_paths(data_paths: DataPaths, feature_warehouse: Path) -> DataPaths:
    """A fresh data root whose warehouse already holds the six weeks of features."""
    from tests.helpers import copy_built_root

    copy_built_root(feature_warehouse, data_paths)
    return data_paths
