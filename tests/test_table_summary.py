"""The column profile a user reads on the feature table's partitions, on a real DuckDB table."""

import duckdb

from platform_assets.lib.table_summary import MAX_TOP_VALUE_DISTINCT, column_profile_markdown


def _profile_rows(markdown: str) -> dict[str, list[str]]:
    rows = [line.strip("|").split(" | ") for line in markdown.splitlines()[2:]]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows}


def test_each_column_gets_its_null_share_range_or_top_values():
    connection = duckdb.connect()
    connection.execute(
        'CREATE SCHEMA s; CREATE TABLE s.t ("odd ""name""" VARCHAR, b BOOLEAN, n INT)'
    )
    connection.execute("INSERT INTO s.t VALUES ('a', true, 1), ('a', false, 5), (NULL, true, NULL)")
    rows = _profile_rows(column_profile_markdown(connection, "s.t"))
    assert rows['odd "name"'] == ["VARCHAR", "33.3%", "1", "a (2)"]
    assert rows["b"] == ["BOOLEAN", "0.0%", "2", "true (2), false (1)"]
    assert rows["n"] == ["INTEGER", "33.3%", "2", "1 .. 5"]


def test_a_key_column_shows_its_range_not_a_count_per_value():
    connection = duckdb.connect()
    rows_count = 3 * MAX_TOP_VALUE_DISTINCT
    connection.execute(
        "CREATE SCHEMA s; CREATE TABLE s.t AS "
        f"SELECT lpad(CAST(i AS VARCHAR), 5, '0') AS key FROM range({rows_count}) r(i)"
    )
    rows = _profile_rows(column_profile_markdown(connection, "s.t"))
    assert rows["key"][3] == f"00000 .. {rows_count - 1:05d}"


def test_an_empty_selection_profiles_without_values():
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA s; CREATE TABLE s.t (n INT, c VARCHAR)")
    rows = _profile_rows(column_profile_markdown(connection, "s.t", "n > ?", [0]))
    assert rows["n"][3] == "" and rows["c"][3] == ""
