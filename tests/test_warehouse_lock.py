"""dbt waits for a warehouse another process holds for a moment, as the platform's openers do.

DuckDB refuses a writer while any other process has the file open, even read-only: a sensor's
read or a CLI command in the instant a run's `dbt build` starts would fail the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import yaml

from platform_assets.defs.transform.dbt_models import DBT_PROJECT_DIR
from tests.helpers import hold_warehouse


def _dbt_debug(profiles_dir: Path, data_root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "dbt"), "debug", "--profiles-dir", str(profiles_dir)],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "PLATFORM_DATA_DIR": str(data_root)},
        stdout=subprocess.PIPE,
        text=True,
    )


def test_dbt_connects_once_another_process_lets_the_warehouse_go(tmp_path: Path):
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    del profile["platform"]["outputs"]["dev"]["retries"]
    without_retries = tmp_path / "without_retries"
    without_retries.mkdir()
    (without_retries / "profiles.yml").write_text(yaml.safe_dump(profile))
    holder = hold_warehouse(tmp_path / "warehouse.duckdb", read_only=True)
    try:
        # the same profile without its retries fails on the lock at once...
        started = time.monotonic()
        refused = _dbt_debug(without_retries, tmp_path)
        refused_output = refused.communicate()[0]
        # how long dbt took to start and meet the lock: let go well after that
        release_after = 1.5 * (time.monotonic() - started) + 2
        assert refused.returncode != 0 and "Conflicting lock" in refused_output
        # ...the project's profile waits for the holder to let go, then connects
        waiting = _dbt_debug(DBT_PROJECT_DIR, tmp_path)
        time.sleep(release_after)
        holder.communicate("let go\n", timeout=30)
        waited_output = waiting.communicate(timeout=120)[0]
    finally:
        holder.kill()
        holder.wait()

    assert waiting.returncode == 0, waited_output[-2000:]
    assert "OK connection ok" in waited_output
