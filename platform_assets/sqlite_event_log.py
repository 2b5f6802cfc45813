"""Dagster's SQLite instance storage with its event log keeping its engines.

Dagster's `SqliteEventLogStorage` creates a new SQLAlchemy engine for every event it writes
(and so compiles every statement anew), and opens and closes the index database each time.
A partition range run writes an event per partition and asset (a year's first load of
ingest and dbt: about 5,600); that churn was half of its wall time (py-spy). This subclass
keeps an engine per database file and the index database's connection open; run files are
still closed after each write, as Dagster does, because the checkpoint SQLite runs on that
close is what Dagster's watcher of a run's live logs (the UI) listens for. The year's first
load in-process, idle machine: 55 s with Dagster's storage and no other change, 35 s with
this one and the other speed changes of bench/RESULTS.md's run (README, Speed).

The engines of run files are kept for the most recent runs only, so a long-lived webserver
or daemon does not grow with every run it has seen. The files, their schema and SQLite's
durability settings are Dagster's own: a plain Dagster instance reads what this one writes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

KEPT_RUN_ENGINES = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's per-run SQLite event log, with engines reused instead of made per event."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            # Run files are closed after each write, as Dagster does: SQLite then checkpoints
            # into the .db file, which Dagster's watcher of a run's live logs listens to.
            pool = {} if shard == INDEX_SHARD_NAME else {"poolclass": NullPool}
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                **pool,
            )
            self._engines[shard] = engine
        self._engines.move_to_end(shard)
        run_shards = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for stale in run_shards[: max(0, len(run_shards) - KEPT_RUN_ENGINES)]:
            self._engines.pop(stale).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # The same steps as Dagster's `_connect`, on a kept engine.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, schedules, event log), with the pooled event log."""

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))
