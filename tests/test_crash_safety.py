"""A process killed with SIGKILL mid-write leaves the warehouse and the registry whole.

Real processes, real files: an ingest run killed while it loads its partitions, and a
registration loop killed at several moments. Afterwards every partition is either as it was
or completely new, every registry row has its verified artifact and every artifact its row;
running again completes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from platform_assets.lib.ml import registry
from platform_assets.lib.warehouse import connect
from tests.helpers import replay_days

REPO = Path(__file__).resolve().parents[1]
PRELOADED = ("2013-01-01", "2013-01-10")
RANGE = ("2013-01-01", "2013-06-30")

INGEST_RUN = """
import sys
import dagster as dg
from platform_assets.defs.resources import PlatformData
from platform_assets.lib.paths import DataPaths
from tests.helpers import raw_flights_asset

flights = [raw_flights_asset()]
with dg.instance_for_test() as instance:
    result = dg.materialize(
        flights,
        instance=instance,
        resources={"platform_data": PlatformData(data_dir=str(DataPaths.from_env().root))},
        tags={"dagster/asset_partition_range_start": sys.argv[1],
              "dagster/asset_partition_range_end": sys.argv[2]},
    )
print("done", result.success, flush=True)
"""

REGISTRATION_LOOP = """
from datetime import date
import numpy as np, pandas as pd
from platform_assets.lib.ml import registry
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.warehouse import connect

paths = DataPaths.from_env()
model = np.random.default_rng(0).random(3_000_000)  # about 24 MB once pickled
sample = pd.DataFrame({"x": np.arange(200_000)})
with connect(paths.warehouse):  # the warehouse exists and is at the current schema
    pass
print("ready", flush=True)
while True:
    with connect(paths.warehouse) as connection:
        version = registry.register_version(
            connection, paths.artifacts, model_name="crash_model", model=model, params={},
            metrics={}, training_start=date(2013, 1, 1), training_end=date(2013, 1, 31),
            row_count=1, data_fingerprint="f", dbt_manifest_checksum="m",
            reference_sample=sample,
        )
    print(version.version, flush=True)
"""


def _flight_days(paths) -> dict[str, int]:
    with connect(paths.warehouse, read_only=True) as connection:
        rows = connection.execute(
            "SELECT partition_date, count(*) FROM raw.flights GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    return {day.isoformat(): count for day, count in rows}


def _landing_counts(paths, start: str, end: str) -> dict[str, int]:
    return {
        path.stem: sum(1 for _ in path.open()) - 1
        for path in sorted((paths.landing / "flights").glob("*.csv"))
        if start <= path.stem <= end
    }


def _start(script: str, *arguments: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *arguments],
        cwd=REPO,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(process: subprocess.Popen, marker: str, delay: float) -> str:
    """SIGKILL the process `delay` seconds after `marker` shows in its log; its stdout."""
    for line in process.stderr:
        if marker in line:
            break
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    out, _ = process.communicate()
    return out


def test_an_ingest_run_killed_mid_load_leaves_each_partition_old_or_new(data_paths):
    replay_days(data_paths, *RANGE)
    first = _start(INGEST_RUN, *PRELOADED)
    assert "done True" in first.communicate()[0]
    old = _flight_days(data_paths)
    new = _landing_counts(data_paths, *RANGE)
    assert old == _landing_counts(data_paths, *PRELOADED)

    killed_mid_load = False
    for delay in (0.2, 0.5, 1.0):
        run = _start(INGEST_RUN, *RANGE)
        out = _kill_when(run, 'Started execution of step "raw__flights"', delay)
        assert run.returncode == -signal.SIGKILL
        after = _flight_days(data_paths)  # opening the file replays DuckDB's log
        assert after in (old, new), "a killed run left a partial load"
        killed_mid_load |= after == old and "done" not in out

    assert killed_mid_load, "no kill landed inside the load: the test proved nothing"
    again = _start(INGEST_RUN, *RANGE)
    assert "done True" in again.communicate()[0]
    assert _flight_days(data_paths) == new


def _check_registry(paths) -> int:
    """Every row's files verify (publishing what a crash left pending); every file has a row."""
    folder = paths.artifacts / "crash_model"
    with connect(paths.warehouse, read_only=True) as connection:
        versions = registry.list_versions(connection, "crash_model")
        for version in versions:
            registry.load_model(connection, paths.artifacts, "crash_model", version.version)
            if version.reference_sample_path:
                registry.load_reference_sample(
                    connection, paths.artifacts, "crash_model", version.version
                )
    recorded = {Path(v.artifact_path).name for v in versions}
    recorded |= {Path(v.reference_sample_path).name for v in versions if v.reference_sample_path}
    # a kill before the first registration made the folder leaves nothing to check
    files = folder.iterdir() if folder.exists() else []
    visible = {p.name for p in files if not p.name.startswith(".")}
    assert visible <= recorded, f"artifacts without a row: {sorted(visible - recorded)}"
    return len(versions)


@pytest.mark.parametrize("delay", [0.3, 0.9, 1.7])
def test_a_registration_killed_at_any_moment_leaves_rows_and_artifacts_matched(data_paths, delay):
    loop = _start(REGISTRATION_LOOP)
    assert loop.stdout.readline().strip() == "ready"  # imported; registrations follow each other
    time.sleep(delay)
    loop.send_signal(signal.SIGKILL)
    loop.communicate()

    before = _check_registry(data_paths)
    with connect(data_paths.warehouse) as connection:
        registry.register_version(
            connection, data_paths.artifacts, model_name="crash_model", model=[1, 2, 3],
            params={}, metrics={}, training_start=date(2013, 1, 1),
            training_end=date(2013, 1, 31), row_count=1,
            data_fingerprint="f", dbt_manifest_checksum="m",
        )  # fmt: skip
    assert _check_registry(data_paths) == before + 1
    leftovers = [p.name for p in (data_paths.artifacts / "crash_model").iterdir()
                 if p.name.startswith(".")]  # fmt: skip
    assert leftovers == []
