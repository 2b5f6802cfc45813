"""A warehouse made by an older release opens, gains the new columns, stores its times with
their zone and keeps every row; one made by a newer release is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest

from platform_assets.lib.schema_migrations import MIGRATIONS_TABLE, NewerSchemaError, migrate
from platform_assets.lib.warehouse import connect

# monitoring.drift as the release before the in_sample flag created it
OLD_DRIFT = """
    CREATE TABLE monitoring.drift (
        model_name VARCHAR, partition_date DATE, metric VARCHAR, value DOUBLE,
        model_version VARCHAR, "rows" BIGINT, computed_at TIMESTAMP
    )
"""


def _old_warehouse(path) -> None:
    with duckdb.connect(str(path)) as old:
        old.execute("CREATE SCHEMA monitoring")
        old.execute("CREATE SCHEMA ml")
        old.execute(OLD_DRIFT)
        old.execute("CREATE TABLE ml.model_versions (model_name VARCHAR, version VARCHAR, "
                    "training_end DATE)")  # fmt: skip
        old.execute("INSERT INTO ml.model_versions VALUES ('m', 'v1', DATE '2013-03-31')")
        old.execute("CREATE TABLE ml.model_evaluations (model_name VARCHAR, "
                    "candidate_version VARCHAR, gate_passed BOOLEAN)")  # fmt: skip
        old.execute("INSERT INTO ml.model_evaluations VALUES ('m', 'v1', true)")
        old.execute(
            "INSERT INTO monitoring.drift SELECT 'm', DATE '2013-03-29' + CAST(i AS INTEGER), "
            "'drift_share', i / 10, 'v1', 100, TIMESTAMP '2013-04-05' FROM range(5) AS t(i)"
        )


def test_an_older_warehouse_gains_the_new_columns_and_keeps_every_row(data_paths):
    data_paths.root.mkdir(parents=True)
    _old_warehouse(data_paths.warehouse)
    with connect(data_paths.warehouse) as connection:  # a writer of this release opens it
        rows = connection.execute(
            "SELECT partition_date, value, in_sample FROM monitoring.drift ORDER BY 1"
        ).fetchall()
        computed = connection.execute("SELECT DISTINCT computed_at FROM monitoring.drift")
        computed = computed.fetchall()
        recorded = connection.execute(f"SELECT version FROM {MIGRATIONS_TABLE} ORDER BY 1")
        recorded = recorded.fetchall()
        evaluations = connection.execute("FROM ml.model_evaluations").fetchall()
        assert migrate(connection) == []  # once only
    assert [(day, in_sample) for day, _, in_sample in rows] == [
        (date(2013, 3, 29), True),
        (date(2013, 3, 30), True),
        (date(2013, 3, 31), True),
        (date(2013, 4, 1), False),
        (date(2013, 4, 2), False),
    ]
    assert [value for _, value, _ in rows] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert recorded == [(1,), (2,), (3,), (4,)]
    # the card's hash and the held-out figures: none kept then
    assert evaluations == [("m", "v1", True, None, None)]
    # the naive time an older release stored was UTC: now a zoned value of the same instant
    assert computed == [(datetime(2013, 4, 5, tzinfo=UTC),)]


def test_a_warehouse_from_a_newer_release_is_refused_before_anything_is_written(data_paths):
    data_paths.root.mkdir(parents=True)
    _old_warehouse(data_paths.warehouse)
    with duckdb.connect(str(data_paths.warehouse)) as newer:
        newer.execute(f"CREATE TABLE {MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, "
                      "description VARCHAR NOT NULL, applied_at TIMESTAMPTZ)")  # fmt: skip
        newer.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES (99, 'from the future', now())")
    with (
        pytest.raises(NewerSchemaError, match="schema version 99.*Upgrade the platform"),
        connect(data_paths.warehouse),
    ):
        pass
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as check:
        columns = [row[0] for row in check.execute("DESCRIBE monitoring.drift").fetchall()]
    assert "in_sample" not in columns
