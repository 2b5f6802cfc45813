"""The Dagster instance the benchmarks run on: the repository's `dagster.yaml`, as `make dev`.

Its storage is the one `make dev` gives (SQLite under a temporary DAGSTER_HOME), not Dagster's
test instance, whose event log is slower. PostgreSQL settings in the environment are ignored:
a benchmark must not write into a shared instance.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def platform_instance() -> Iterator[dg.DagsterInstance]:
    with tempfile.TemporaryDirectory(prefix="bench-dagster-home-") as home:
        shutil.copy(REPO / "dagster.yaml", Path(home) / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = home
        for variable in [name for name in os.environ if name.startswith("DAGSTER_PG_")]:
            del os.environ[variable]
        with dg.DagsterInstance.from_config(home) as instance:
            yield instance
