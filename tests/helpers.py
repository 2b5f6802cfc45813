"""Helpers the tests share: the platform's assets, delivering demo days, materializing ranges,
a real `evidently ui`."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg

from platform_assets.defs.assets_by_stage import PlatformAssets, build_platform_assets
from platform_assets.defs.ml.model_family import build_model_family
from platform_assets.defs.partitions import build_daily_partitions
from platform_assets.defs.resources import PlatformData
from platform_assets.lib.demo_data import replay
from platform_assets.lib.ml.spec import ModelSpec
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.settings import PlatformSettings


def platform_assets() -> PlatformAssets:
    """The platform's assets as the environment (partitions, models file) defines them now."""
    return build_platform_assets(PlatformSettings.from_env())


def model_family(spec: ModelSpec) -> dict[str, dg.AssetsDefinition]:
    """One model's assets by step (`training_set`, `candidate`, ...), on today's partitions."""
    partitions = build_daily_partitions(PlatformSettings.from_env())
    return {asset.key.path[-1]: asset for asset in build_model_family(spec, partitions)}


def raw_flights_asset() -> dg.AssetsDefinition:
    """The asset that loads `raw.flights`."""
    return next(a for a in platform_assets().raw if a.key.path[-1] == "flights")


def replay_days(paths: DataPaths, start: str, end: str) -> None:
    """Deliver real demo days into the test's landing zone."""
    replay(paths.landing, date.fromisoformat(start), date.fromisoformat(end))


# Holds the warehouse until told to let go (a line on its standard input): no timing to race
# on a loaded machine.
_HOLDER = (
    "import sys, duckdb\n"
    "connection = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'read-only')\n"
    "print('held', flush=True)\n"
    "sys.stdin.readline()\n"
)


def hold_warehouse(warehouse: Path, read_only: bool) -> subprocess.Popen:
    """Another process that has the warehouse open, as a notebook or a run's step does, once
    it holds it; `communicate("let go\\n")` releases it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(warehouse), "read-only" if read_only else "write"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def copy_built_root(warehouse: Path, paths: DataPaths) -> None:
    """Copy a built warehouse into a fresh data root, with the files its runs published for
    the retraining sensors (labelled days)."""
    paths.root.mkdir(parents=True)
    shutil.copy(warehouse, paths.warehouse)
    shutil.copytree(DataPaths(warehouse.parent).monitoring, paths.monitoring)


def materialize_range(
    assets: list,
    paths: DataPaths,
    instance: dg.DagsterInstance,
    start: str,
    end: str,
    selection=None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInJobResult:
    """Materialize assets for a range of days in one run, as a single-run backfill does."""
    from platform_assets.defs.transform.dbt_models import dbt_resource

    return dg.materialize(
        assets,
        instance=instance,
        selection=selection,
        resources={"platform_data": PlatformData(data_dir=str(paths.root)), "dbt": dbt_resource},
        tags={
            "dagster/asset_partition_range_start": start,
            "dagster/asset_partition_range_end": end,
            **(tags or {}),
        },
        raise_on_error=False,
    )


def materialize_model_family(
    assets: list,
    paths: DataPaths,
    instance: dg.DagsterInstance,
    run_config: dict | None = None,
    partition_key: str | None = None,
) -> dg.ExecuteInJobResult:
    """Materialize (part of) a model's family of assets, as the UI's Materialize button does."""
    return dg.materialize(
        assets,
        instance=instance,
        resources={"platform_data": PlatformData(data_dir=str(paths.root))},
        run_config=run_config,
        partition_key=partition_key,
        raise_on_error=False,
    )


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def running_evidently_ui(workspace: Path, startup_seconds: float = 120) -> Iterator[str]:
    """`evidently ui` over `workspace` on a free loopback port, telemetry off, as `make dev`
    starts it; yields its URL and stops it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = workspace.parent / "evidently_ui.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("evidently")), "ui", "--workspace",
             str(workspace), "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, "DO_NOT_TRACK": "1"},
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                get_json(f"{url}/api/version")
                break
            except OSError:
                assert time.monotonic() < deadline, f"evidently ui did not start: {log.read_text()}"
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
