"""dbt waits for a warehouse another process holds for a moment, as the platform's openers do.

DuckDB refuses a writer while any other process has the file open, even read-only: a sensor's
read or a CLI command in the instant a run's `dbt build` starts would fail the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import yaml

from platform_assets.defs.transform.dbt_models import DBT_PROJECT_DIR

HOLDER = (
    "import sys, time, duckdb\n"
    "connection = duckdb.connect(sys.argv[1], read_only=True)\n"
    "print('held', flush=True)\n"
    "time.sleep(8)\n"
)


def _dbt_debug(profiles_dir: Path, data_root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "debug", "--profiles-dir", str(profiles_dir)],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "PLATFORM_DATA_DIR": str(data_root)},
        capture_output=True,
        text=True,
    )


def test_dbt_connects_once_another_process_lets_the_warehouse_go(tmp_path: Path):
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    del profile["platform"]["outputs"]["dev"]["retries"]
    without_retries = tmp_path / "without_retries"
    without_retries.mkdir()
    (without_retries / "profiles.yml").write_text(yaml.safe_dump(profile))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "warehouse.duckdb")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"

        # the same profile without its retries fails on the lock at once...
        refused = _dbt_debug(without_retries, tmp_path)
        assert refused.returncode != 0 and "Conflicting lock" in refused.stdout
        assert holder.poll() is None, "the holder let go before the project's profile was tried"
        # ...the project's profile waits for the holder to let go, then connects
        waited = _dbt_debug(DBT_PROJECT_DIR, tmp_path)
    finally:
        holder.kill()
        holder.wait()

    assert waited.returncode == 0, waited.stdout[-2000:]
    assert "OK connection ok" in waited.stdout
