"""Loading landing files into a real DuckDB file: rejects, reconciliation and clear failures."""

from __future__ import annotations

from datetime import date

import pytest

from platform_assets.lib.ingest import LandingFile, LandingFileError, load_files
from platform_assets.lib.raw_contract import FLIGHTS
from platform_assets.lib.warehouse import connect
from tests.helpers import replay_days

DAY = date(2013, 1, 1)


def _flight_file(data_paths, day=DAY):
    replay_days(data_paths, day.isoformat(), day.isoformat())
    return data_paths.landing / "flights" / f"{day.isoformat()}.csv"


def _replace_field(line: str, column: str, value: str) -> str:
    fields = line.split(",")
    fields[FLIGHTS.columns.index(column)] = value
    return ",".join(fields)


def test_each_class_of_bad_row_is_rejected_with_its_reason_and_good_rows_load(data_paths):
    path = _flight_file(data_paths)
    header, *rows = path.read_text().splitlines()
    good = rows[:10]
    bad = {
        "unparseable number in dep_delay": _replace_field(rows[10], "dep_delay", "late"),
        "unparseable timestamp in time_hour": _replace_field(rows[11], "time_hour", "noon"),
        "missing key: carrier": _replace_field(rows[12], "carrier", "NA"),
        "date outside partition 2013-01-01": _replace_field(rows[13], "day", "2"),
        "wrong field count: expected 19, found 18": rows[14].rsplit(",", 1)[0],
    }
    quoted = _replace_field(rows[15], "tailnum", '"N1,""X"""')
    path.write_text("\n".join([header, *good, *bad.values(), quoted]) + "\n")

    with connect(data_paths.warehouse) as connection:
        counts = load_files(connection, FLIGHTS, [LandingFile(path, DAY)])[DAY]
        rejected = connection.execute(
            "SELECT reason, line_number, original_text, source, partition_date, source_file "
            "FROM raw.rejected_rows ORDER BY line_number"
        ).fetchall()
        tailnum = connection.execute(
            "SELECT tailnum FROM raw.flights WHERE source_line = ?", [len(good) + len(bad) + 2]
        ).fetchone()[0]
        loaded = connection.execute("SELECT count(*) FROM raw.flights").fetchone()[0]

    assert (counts.rows_read, counts.rows_loaded, counts.rows_rejected) == (16, 11, 5)
    assert loaded == 11
    assert tailnum == 'N1,"X"'
    assert [row[0] for row in rejected] == list(bad)
    for offset, (reason, line_number, text, source, partition, file) in enumerate(rejected):
        assert line_number == len(good) + 2 + offset
        assert text == bad[reason]
        assert (source, partition, file) == ("flights", DAY, str(path))


def test_loading_twice_leaves_identical_tables(data_paths):
    path = _flight_file(data_paths)
    snapshot = "SELECT * EXCLUDE (loaded_at) FROM raw.flights ORDER BY source_line"
    with connect(data_paths.warehouse) as connection:
        load_files(connection, FLIGHTS, [LandingFile(path, DAY)])
        first = connection.execute(snapshot).fetchall()
        counts = load_files(connection, FLIGHTS, [LandingFile(path, DAY)])
        second = connection.execute(snapshot).fetchall()
    assert counts[DAY].rows_loaded == 842
    assert first == second and len(second) == 842


def test_wrong_header_fails_naming_the_file_and_both_column_lists(data_paths):
    good_day = _flight_file(data_paths)
    with connect(data_paths.warehouse) as connection:
        load_files(connection, FLIGHTS, [LandingFile(good_day, DAY)])

    broken_day = _flight_file(data_paths, date(2013, 1, 2))
    header, *rows = broken_day.read_text().splitlines()
    broken_day.write_text("\n".join([header.replace("carrier", "airline"), *rows]))
    with connect(data_paths.warehouse) as connection:
        with pytest.raises(LandingFileError) as failure:
            load_files(connection, FLIGHTS, [LandingFile(broken_day, date(2013, 1, 2))])
        remaining = connection.execute("SELECT count(*) FROM raw.flights").fetchone()[0]
    message = str(failure.value)
    assert str(broken_day) in message
    assert "expected columns: year, month, day" in message and ", carrier," in message
    assert ", airline," in message
    assert remaining == 842


def test_missing_and_empty_files_fail_clearly_and_earlier_partitions_stay(data_paths):
    good_day = _flight_file(data_paths)
    missing = data_paths.landing / "flights" / "2013-01-05.csv"
    empty = data_paths.landing / "flights" / "2013-01-06.csv"
    empty.write_text("")
    with connect(data_paths.warehouse) as connection:
        load_files(connection, FLIGHTS, [LandingFile(good_day, DAY)])
        with pytest.raises(LandingFileError, match="2013-01-05.csv for flights is missing"):
            load_files(connection, FLIGHTS, [LandingFile(missing, date(2013, 1, 5))])
        with pytest.raises(LandingFileError, match="the file is empty"):
            load_files(connection, FLIGHTS, [LandingFile(empty, date(2013, 1, 6))])
        # A range with one missing day writes none of its days.
        with pytest.raises(LandingFileError, match="2013-01-05.csv"):
            load_files(
                connection,
                FLIGHTS,
                [LandingFile(good_day, DAY), LandingFile(missing, date(2013, 1, 5))],
            )
        assert connection.execute("SELECT count(*) FROM raw.flights").fetchone()[0] == 842


def test_a_file_that_is_not_utf8_fails_naming_the_file(data_paths):
    path = _flight_file(data_paths)
    path.write_bytes(path.read_bytes() + b"2013,1,1,\xff\xfe\n")
    with (
        connect(data_paths.warehouse) as connection,
        pytest.raises(LandingFileError, match=str(path)),
    ):
        load_files(connection, FLIGHTS, [LandingFile(path, DAY)])
