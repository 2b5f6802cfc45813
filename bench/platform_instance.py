"""The Dagster instance the benchmarks run on: one of the repository's instance files, as
`make dev` uses it, in a fresh temporary DAGSTER_HOME for each process.

BENCH_INSTANCE=postgres takes `dagster.postgres.yaml` on a new database of the server that
PLATFORM_BENCH_PG_URL names (dropped afterwards), so a benchmark never writes into a shared
instance; otherwise `dagster.yaml`, Dagster's SQLite storage.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg

REPO = Path(__file__).resolve().parents[1]
PG_URL_VARIABLE = "PLATFORM_BENCH_PG_URL"


@contextmanager
def _postgres_database() -> Iterator[None]:
    """A database of its own on the benchmark's server, named to DAGSTER_PG_* for the instance."""
    import psycopg2

    url = os.environ[PG_URL_VARIABLE]
    server = urlparse(url)
    database = f"platform_bench_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {database}")
    os.environ |= {
        "DAGSTER_PG_HOST": server.hostname,
        "DAGSTER_PG_PORT": str(server.port or 5432),
        "DAGSTER_PG_USERNAME": server.username,
        "DAGSTER_PG_PASSWORD": server.password or "",
        "DAGSTER_PG_DB": database,
    }
    try:
        yield
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()


@contextmanager
def platform_instance() -> Iterator[dg.DagsterInstance]:
    postgres = os.environ.get("BENCH_INSTANCE") == "postgres"
    instance_file = "dagster.postgres.yaml" if postgres else "dagster.yaml"
    with tempfile.TemporaryDirectory(prefix="bench-dagster-home-") as home:
        shutil.copy(REPO / instance_file, Path(home) / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = home
        with (
            _postgres_database() if postgres else nullcontext(),
            dg.DagsterInstance.from_config(home) as instance,
        ):
            yield instance
