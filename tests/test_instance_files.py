"""The two Dagster instance files stay one instance on two storages.

`dagster.yaml` (SQLite, the default) and `dagster.postgres.yaml` (PostgreSQL from `env:`
settings) are whole files, since Dagster reads one `dagster.yaml` per DAGSTER_HOME: this keeps
a concurrency or telemetry change from reaching only one of them.
"""

from pathlib import Path

import dagster as dg
import yaml
from dagster._core.definitions.run_request import InstigatorType  # not exported at the top

REPO = Path(__file__).resolve().parents[1]


def _read(name: str) -> dict:
    return yaml.safe_load((REPO / name).read_text(encoding="utf-8"))


def test_the_instance_files_differ_only_in_storage():
    sqlite, postgres = _read("dagster.yaml"), _read("dagster.postgres.yaml")
    assert "storage" not in sqlite, "dagster.yaml keeps Dagster's own SQLite default"
    assert set(postgres.pop("storage")) == {"postgres"}
    assert postgres == sqlite


def test_the_default_instance_stores_in_sqlite_under_its_home(tmp_path, monkeypatch):
    (tmp_path / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert instance.telemetry_enabled is False
        # tick history is bounded (Dagster's default keeps successful ticks forever)
        for instigator in (InstigatorType.SENSOR, InstigatorType.SCHEDULE):
            retention = instance.get_tick_retention_settings(instigator)
            assert sorted(set(retention.values())) == [7, 90]  # skipped ticks, the rest
    assert (tmp_path / "history" / "runs.db").exists()
