"""`dagster dev` starts from the repo's workspace and serves the asset graph over GraphQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_SECONDS = 180
ASSET_QUERY = "{ assetNodes { assetKey { path } groupName } }"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _query(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@contextmanager
def running_dagster_dev(
    home: Path, env: dict[str, str], log_path: Path, instance_file: str = "dagster.yaml"
):
    """A real `dagster dev` on a free loopback port with `home` (holding one of the repo's
    instance files as its dagster.yaml) as DAGSTER_HOME; yields (port, process) and stops it
    with SIGINT, as Ctrl-C does."""
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / instance_file, home / "dagster.yaml")
    port = _free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dagster"),
                "dev",
                "-w",
                "workspace.yaml",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],  # fmt: skip
            cwd=REPO,
            env={**env, "DAGSTER_HOME": str(home)},
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            yield port, process
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def dagster_dev(tmp_path, data_paths):
    """`dagster dev` on the test's data root, on the embedded (SQLite) instance storage."""
    env = dict(os.environ)
    env["PLATFORM_DATA_DIR"] = str(data_paths.root)
    log_path = tmp_path / "dagster_dev.log"
    with running_dagster_dev(tmp_path / "dagster_home", env, log_path) as (port, process):
        yield port, process, log_path


def test_dagster_dev_serves_the_assets(dagster_dev):
    port, process, log = dagster_dev
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    nodes = None
    while time.monotonic() < deadline and process.poll() is None:
        try:
            nodes = _query(port, ASSET_QUERY)["data"]["assetNodes"]
            if nodes:
                break
        except (OSError, KeyError, TypeError):
            pass
        time.sleep(1)
    assert process.poll() is None, log.read_text()[-3000:]
    assert nodes, "dagster dev did not serve any asset"
    keys = {"/".join(node["assetKey"]["path"]) for node in nodes}
    assert {"raw/flights", "raw/weather", "staging/stg_flights", "marts/flight_features"} <= keys
