"""The Dagster instance the benchmarks run on: the repository's `dagster.yaml`, as `make dev`.

Its storage is the one users get (SQLite under a temporary DAGSTER_HOME, or PostgreSQL when
DAGSTER_PG_HOST is set), not Dagster's test instance, whose event log is slower.
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
        with dg.DagsterInstance.from_config(home) as instance:
            yield instance
