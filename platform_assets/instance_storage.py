"""The Dagster instance's storage, chosen from the environment when the instance starts.

`dagster.yaml` names this class as its storage so one file serves a laptop and a team: with
`DAGSTER_PG_HOST` set, runs, event logs, schedules and sensor cursors go to PostgreSQL
(dagster-postgres, the storage Dagster recommends for production); without it they stay in
SQLite files under DAGSTER_HOME (or `./.dagster_home`, where `make dev` keeps it, when
`dagster dev` runs without DAGSTER_HOME): Dagster's embedded default, with its event log
keeping its database engines instead of making one per event (`sqlite_event_log.py`).
The connection settings use the variable names of Dagster's own deployment guides, and the
password never sits in a file.
"""

from __future__ import annotations

import os

from dagster import Field, StringSource
from dagster._core.storage.base_storage import DagsterStorage
from dagster._serdes import ConfigurableClass, ConfigurableClassData

POSTGRES_SETTINGS = {  # environment variable -> dagster-postgres `postgres_db` field
    "DAGSTER_PG_HOST": "hostname",
    "DAGSTER_PG_PORT": "port",
    "DAGSTER_PG_USERNAME": "username",
    "DAGSTER_PG_PASSWORD": "password",
    "DAGSTER_PG_DB": "db_name",
}


def postgres_settings(environ=os.environ) -> dict[str, str] | None:
    """The `postgres_db` settings from the environment, or None when no host is given."""
    if not environ.get("DAGSTER_PG_HOST"):
        return None
    settings = {
        field: environ[name] for name, field in POSTGRES_SETTINGS.items() if environ.get(name)
    }
    missing = [name for name in ("DAGSTER_PG_USERNAME", "DAGSTER_PG_DB") if not environ.get(name)]
    if missing:
        raise ValueError(
            f"DAGSTER_PG_HOST is set but not {', '.join(missing)}: set all of "
            f"{', '.join(POSTGRES_SETTINGS)} (password and port optional) to store the Dagster "
            "instance in PostgreSQL, or unset DAGSTER_PG_HOST to keep it in DAGSTER_HOME."
        )
    return settings


class EnvironmentSelectedStorage(DagsterStorage, ConfigurableClass):
    """Never instantiated itself: builds PostgreSQL or SQLite storage (see the module docstring)."""

    @classmethod
    def config_type(cls):
        return {
            "base_dir": Field(
                StringSource,
                is_required=False,
                description="SQLite folder when no PostgreSQL; default DAGSTER_HOME",
            )
        }

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value) -> DagsterStorage:
        settings = postgres_settings()
        if settings is None:
            from platform_assets.sqlite_event_log import PooledSqliteStorage

            base_dir = (
                config_value.get("base_dir")
                or os.environ.get("DAGSTER_HOME")
                or os.path.join(os.getcwd(), ".dagster_home")
            )
            return PooledSqliteStorage.from_local(base_dir, inst_data=inst_data)
        from dagster_postgres import DagsterPostgresStorage
        from dagster_postgres.utils import get_conn_string

        # psycopg2 is the driver dagster-postgres installs; SQLAlchemy 2.1 defaults to psycopg 3.
        url = get_conn_string(**settings, scheme="postgresql+psycopg2")
        return DagsterPostgresStorage(url, inst_data=inst_data)
