"""The instance `dagster.yaml` gives a laptop: Dagster's SQLite files, written through kept engines.

What it must keep from Dagster's own storage: every event readable by a plain Dagster instance
on the same folder, partition status intact, a wipe that really starts over, no run file held
open by a long-lived process, and a run's live logs reaching a watcher (the UI) as written.
"""

import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.utils import make_new_run_id

from platform_assets.sqlite_event_log import KEPT_RUN_ENGINES, PooledSqliteEventLogStorage

REPO = Path(__file__).resolve().parents[1]
DAYS = dg.DailyPartitionsDefinition(start_date="2013-01-01", end_date="2013-02-01")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily_numbers(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


@dg.asset
def reference_numbers() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@pytest.fixture
def platform_home(tmp_path, monkeypatch) -> Path:
    """A DAGSTER_HOME holding the repository's dagster.yaml, on SQLite (no PostgreSQL set)."""
    for variable in [name for name in os.environ if name.startswith("DAGSTER_PG_")]:
        monkeypatch.delenv(variable)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _backfill(instance: dg.DagsterInstance, first: str, last: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [daily_numbers, reference_numbers],
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )


def _dagster_reader(home: Path) -> SqliteEventLogStorage:
    return SqliteEventLogStorage(str(home / "history" / "runs"))


def _materialized_days(events: SqliteEventLogStorage) -> set[str]:
    return set(events.get_materialized_partitions(dg.AssetKey("daily_numbers")))


def test_a_plain_dagster_storage_reads_everything_written(platform_home):
    with dg.DagsterInstance.from_config(str(platform_home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        result = _backfill(instance, "2013-01-01", "2013-01-20")
        assert result.success
        written = instance.all_logs(result.run_id)

        reader = _dagster_reader(platform_home)
        read = reader.get_logs_for_run(result.run_id)
        assert [entry.dagster_event_type for entry in read] == [
            entry.dagster_event_type for entry in written
        ]
        assert _materialized_days(reader) == {f"2013-01-{day:02d}" for day in range(1, 21)}
        reference = reader.get_latest_materialization_events([dg.AssetKey("reference_numbers")])
        assert reference[dg.AssetKey("reference_numbers")].run_id == result.run_id


def _open_run_databases(runs_folder: Path) -> set[str]:
    """Names of the run databases this process holds open (index excluded); a file deleted
    while open reads as '<name> (deleted)'."""
    names = set()
    for descriptor in Path("/proc/self/fd").iterdir():
        try:
            target = Path(os.readlink(descriptor))
        except OSError:
            continue
        if target.parent == runs_folder and ".db" in target.name:
            names.add(target.name)
    return {name for name in names if not name.startswith("index.db")}


def test_a_wipe_starts_over_and_later_events_land_in_the_new_files(platform_home):
    with dg.DagsterInstance.from_config(str(platform_home)) as instance:
        assert _backfill(instance, "2013-01-01", "2013-01-10").success
        instance.wipe()
        assert _materialized_days(_dagster_reader(platform_home)) == set()
        runs_folder = (platform_home / "history" / "runs").resolve()
        assert _open_run_databases(runs_folder) == set(), "deleted run files still held open"

        after = _backfill(instance, "2013-01-05", "2013-01-06")
        assert after.success
        reader = _dagster_reader(platform_home)
        assert _materialized_days(reader) == {"2013-01-05", "2013-01-06"}
        assert len(reader.get_logs_for_run(after.run_id)) == len(instance.all_logs(after.run_id))


def test_a_long_lived_process_holds_no_run_file_open_between_writes(platform_home):
    runs_folder = (platform_home / "history" / "runs").resolve()
    with dg.DagsterInstance.from_config(str(platform_home)) as instance:
        run_ids = [
            _backfill(instance, f"2013-01-{day:02d}", f"2013-01-{day:02d}").run_id
            for day in range(1, KEPT_RUN_ENGINES + 5)
        ]
        assert _open_run_databases(runs_folder) == set()
        # A run written long before is read on demand.
        assert instance.all_logs(run_ids[0])


def test_a_watcher_sees_each_event_as_another_process_writes_it(platform_home):
    """The UI's live run logs: the webserver watches a run's file while a run worker writes."""
    runs_folder = str(platform_home / "history" / "runs")
    writer = PooledSqliteEventLogStorage(runs_folder)
    watcher = PooledSqliteEventLogStorage(runs_folder)
    run_id = make_new_run_id()
    writer.store_event(_log_entry(run_id, "before the watch"))
    seen: list[str] = []
    watcher.watch(run_id, None, lambda entry, cursor: seen.append(entry.user_message))
    try:
        for number in range(5):
            writer.store_event(_log_entry(run_id, f"event {number}"))
            deadline = time.monotonic() + 10
            while f"event {number}" not in seen and time.monotonic() < deadline:
                time.sleep(0.05)
        assert [message for message in seen if message.startswith("event")] == [
            f"event {number}" for number in range(5)
        ]
    finally:
        watcher.dispose()
        writer.dispose()


def _log_entry(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level="INFO",
        user_message=message,
        run_id=run_id,
        timestamp=time.time(),
    )
