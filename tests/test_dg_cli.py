"""Dagster's `dg` CLI finds the project's definitions: `dg list defs` and `dg check defs`, run
from the repository root as a developer would (the venv's bin on PATH, the venv active).

[tool.dg.project] in pyproject.toml points dg at `platform_assets.definitions`. Each command
loads the definitions in a process of its own (several seconds each), so both are started at
once and the two tests wait on them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DG = BIN / "dg"
COMMANDS = {"list": ["list", "defs", "--json"], "check": ["check", "defs"]}
TIMEOUT_S = 300
# A few keys of each stage (the full list: `dg list defs`).
KNOWN_ASSETS = {
    "raw/flights",
    "raw/weather",
    "staging/stg_flights",
    "intermediate/int_flight_times",
    "features/origin_live",
    "features/online_store",
    "marts/flight_features",
    "ml/delay_classifier/candidate",
    "monitoring/delay_classifier",
}


@pytest.fixture(scope="module")
def dg_results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    assert DG.exists(), f"{DG} is missing: run `make setup` (dagster-dg-cli is a dependency)"
    home = tmp_path_factory.mktemp("dg_dagster_home")
    # A throwaway instance, without dg's first-run telemetry notice.
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(BIN.parent),
        "DAGSTER_HOME": str(home),
        "PLATFORM_DATA_DIR": str(home / "data"),
    }
    processes = {
        name: subprocess.Popen(
            [str(DG), *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in COMMANDS.items()
    }
    results = {}
    try:
        for name, process in processes.items():
            out, err = process.communicate(timeout=TIMEOUT_S)
            results[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        yield results
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def test_dg_list_defs_names_the_platform_assets(dg_results):
    result = dg_results["list"]
    assert result.returncode == 0, f"dg list defs failed:\n{result.stdout}\n{result.stderr}"
    listed = json.loads(result.stdout)
    keys = {asset["asset_key"] for asset in listed["assets"]}
    assert keys >= KNOWN_ASSETS, f"missing: {sorted(KNOWN_ASSETS - keys)}; listed: {sorted(keys)}"
    assert {"landing_sensor", "run_failure_alerts"} <= {s["name"] for s in listed["sensors"]}


def test_dg_check_defs_passes(dg_results):
    result = dg_results["check"]
    assert result.returncode == 0, f"dg check defs failed:\n{result.stdout}\n{result.stderr}"
    assert "All definitions loaded successfully." in result.stdout
