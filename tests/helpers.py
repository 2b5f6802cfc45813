"""Helpers the tests share: the platform's assets, delivering demo days, materializing ranges,
a real `evidently ui` and prediction service, small registered model versions."""

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
import urllib.error
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


def http_json(url: str, body=None) -> tuple[int, object]:
    """GET (or POST `body` as JSON to) `url`: its status and JSON answer, errors included."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextlib.contextmanager
def running_evidently_ui(workspace: Path, startup_seconds: float = 120) -> Iterator[str]:
    """`evidently ui` over `workspace` on a free loopback port, telemetry off, as `make dev`
    starts it; yields its URL and stops it."""
    port = free_port()
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


def small_training_data(seed: int = 0):
    """300 rows of two numeric features and a 0/1 label that depends on the first."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    features = pd.DataFrame(
        {"dep_delay": rng.normal(10, 20, 300), "distance": rng.uniform(100, 2000, 300)}
    )
    labels = (features["dep_delay"] + rng.normal(0, 5, 300) > 15).astype(int).to_numpy()
    return features, labels


def register_small_version(connection, artifacts: Path, seed: int = 0, **overrides):
    """Register a real (small) logistic regression of `delay_classifier` in the registry."""
    from sklearn.linear_model import LogisticRegression

    from platform_assets.lib.ml import registry

    features, labels = small_training_data(seed)
    model = LogisticRegression(C=1.0 + seed).fit(features, labels)
    arguments = {
        "model_name": "delay_classifier",
        "model": model,
        "params": {"C": 1.0 + seed},
        "metrics": {"accuracy": float(model.score(features, labels))},
        "training_start": date(2013, 1, 1),
        "training_end": date(2013, 3, 31),
        "row_count": len(features),
        "data_fingerprint": f"fingerprint-{seed}",
        "dbt_manifest_checksum": "manifest-checksum",
        "reference_sample": features.head(50),
    } | overrides
    return registry.register_version(connection, artifacts, **arguments)


def tamper(path: Path) -> None:
    """Flip one byte in the middle of a file, as a disk or a person might."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, seconds: float, what: str):
    """Call `check` until it returns something true (its value), for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.2)


@contextlib.contextmanager
def running_service(paths: DataPaths, startup_seconds: float = 60) -> Iterator[str]:
    """`platform-assets serve` over the data root on a free loopback port, polling the
    champion manifests every half second; yields its URL and stops it."""
    port = free_port()
    paths.root.mkdir(parents=True, exist_ok=True)
    log = paths.root / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("platform-assets")), "serve", "--port", str(port)],
            env={**os.environ, "PLATFORM_DATA_DIR": str(paths.root),
                 "PLATFORM_SERVE_POLL_SECONDS": "0.5"},
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            return get_json(f"{url}/healthz") == {"status": "ok"}
        except OSError:
            return False

    try:
        wait_for(answers, startup_seconds, f"the service to start: {log}")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
