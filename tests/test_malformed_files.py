"""One test per class of malformed landing file, each run on the bad file itself.

docs/bad_input.md lists the outcome of each class. Classes already tested in test_ingest.py
are not repeated here: an empty or missing file, a renamed column, bytes that are not UTF-8
in a daily file, and single bad rows of each rejection reason.
"""

from __future__ import annotations

from datetime import date

import pytest

from platform_assets.lib.ingest import MAX_HEADER_BYTES, LandingFile, LandingFileError, load_files
from platform_assets.lib.landing import REFERENCE_FOLDER
from platform_assets.lib.raw_contract import AIRPORTS, FLIGHTS
from platform_assets.lib.warehouse import connect
from tests.helpers import materialize_range, raw_flights_asset, replay_days

DAY = date(2013, 1, 1)
NEXT_DAY = date(2013, 1, 2)
DAY_ROWS, NEXT_DAY_ROWS = 842, 943  # flights of the demo's first two days
SNAPSHOT = "SELECT * EXCLUDE (loaded_at) FROM raw.flights ORDER BY partition_date, source_line"


@pytest.fixture
def days(data_paths):
    """The demo's first two days delivered; returns a function giving a day's flights file."""
    replay_days(data_paths, DAY.isoformat(), NEXT_DAY.isoformat())
    return lambda day: data_paths.landing / "flights" / f"{day.isoformat()}.csv"


def _load(connection, path, day):
    return load_files(connection, FLIGHTS, [LandingFile(path, day)])[day]


def _rows(connection, day) -> int:
    return connection.execute(
        "SELECT count(*) FROM raw.flights WHERE partition_date = ?", [day]
    ).fetchone()[0]


def _rejects(connection) -> list[tuple]:
    return connection.execute(
        "SELECT line_number, reason, original_text FROM raw.rejected_rows ORDER BY line_number"
    ).fetchall()


def _with_field(line: str, column: str, value: str) -> str:
    fields = line.split(",")
    fields[FLIGHTS.columns.index(column)] = value
    return ",".join(fields)


def test_a_header_only_file_loads_an_empty_day_and_leaves_other_days(data_paths, days):
    """A header without rows is how an upstream delivers a day without flights."""
    path = days(DAY)
    with connect(data_paths.warehouse) as connection:
        _load(connection, days(NEXT_DAY), NEXT_DAY)
        _load(connection, path, DAY)
        path.write_text(path.read_text().splitlines()[0] + "\n")
        counts = _load(connection, path, DAY)
        assert (counts.rows_read, counts.rows_loaded, counts.rows_rejected) == (0, 0, 0)
        assert _rows(connection, DAY) == 0  # the re-delivered (empty) day replaces the old one
        assert _rows(connection, NEXT_DAY) == NEXT_DAY_ROWS


def _drop_column(columns: list[str]) -> list[str]:
    return [c for c in columns if c != "dep_delay"]


def _add_column(columns: list[str]) -> list[str]:
    return [*columns, "gate"]


def _swap_columns(columns: list[str]) -> list[str]:
    swapped = list(columns)
    swapped[3], swapped[4] = swapped[4], swapped[3]  # dep_time <-> sched_dep_time
    return swapped


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (_drop_column, "dep_time, sched_dep_time, arr_time,"),
        (_add_column, "minute, time_hour, gate"),
        (_swap_columns, "day, sched_dep_time, dep_time, dep_delay"),
    ],
    ids=["missing_column", "extra_column", "reordered_columns"],
)
def test_a_header_with_other_columns_fails_naming_the_file_and_keeps_the_loaded_day(
    data_paths, days, change, found
):
    """The same columns in another order would load values into the wrong columns: refused."""
    path = days(DAY)
    with connect(data_paths.warehouse) as connection:
        _load(connection, path, DAY)
        before = connection.execute(SNAPSHOT).fetchall()
        lines = [",".join(change(line.split(","))) for line in path.read_text().splitlines()]
        path.write_text("\n".join(lines) + "\n")
        with pytest.raises(LandingFileError) as failure:
            _load(connection, path, DAY)
        assert connection.execute(SNAPSHOT).fetchall() == before
        assert _rejects(connection) == []
    message = str(failure.value)
    assert str(path) in message and "unexpected header" in message
    assert found in message.split("found columns:")[1]
    assert "same columns, same order" in message
    assert len(before) == DAY_ROWS


def test_a_missing_column_fails_the_dagster_partition_and_keeps_the_loaded_day(
    data_paths, days, instance
):
    flights_asset = raw_flights_asset()
    loaded = materialize_range([flights_asset], data_paths, instance, "2013-01-01", "2013-01-01")
    assert loaded.success

    broken = days(NEXT_DAY)
    lines = [",".join(_drop_column(line.split(","))) for line in broken.read_text().splitlines()]
    broken.write_text("\n".join(lines) + "\n")
    result = materialize_range([flights_asset], data_paths, instance, "2013-01-01", "2013-01-02")

    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    error = str(failure.step_failure_data.error)
    assert "LandingFileError" in error and str(broken) in error
    assert "Fix the file (same columns, same order) and materialize the partition again" in error
    with connect(data_paths.warehouse, read_only=True) as connection:
        assert _rows(connection, DAY) == DAY_ROWS  # the range wrote none of its days
        assert _rows(connection, NEXT_DAY) == 0


def test_values_of_the_wrong_type_are_rejected_with_their_column_and_good_rows_load(
    data_paths, days
):
    path = days(DAY)
    header, *rows = path.read_text().splitlines()
    bad = {
        "unparseable number in distance": _with_field(rows[0], "distance", '"1,400"'),
        "unparseable number in arr_delay": _with_field(rows[1], "arr_delay", "12 min"),
        "not a finite number in dep_delay": _with_field(rows[2], "dep_delay", "nan"),
        "not a finite number in air_time": _with_field(rows[3], "air_time", "1e400"),
        "unparseable timestamp in time_hour": _with_field(
            rows[4], "time_hour", "2013-01-01T25:00:00Z"
        ),
        "unparseable number in flight": _with_field(rows[5], "flight", "UA1545"),
        "timestamp without a time zone in time_hour: write it in UTC, for example "
        "2013-01-01T10:00:00Z": _with_field(rows[6], "time_hour", "2013-01-01 10:00:00"),
    }
    path.write_text("\n".join([header, *bad.values(), *rows[7:]]) + "\n")
    with connect(data_paths.warehouse) as connection:
        counts = _load(connection, path, DAY)
        rejects = _rejects(connection)
        loaded_lines = connection.execute("SELECT min(source_line) FROM raw.flights").fetchone()
    assert [(line, reason) for line, reason, _ in rejects] == [
        (number + 2, reason) for number, reason in enumerate(bad)
    ]
    assert [text for *_, text in rejects] == list(bad.values())
    assert (counts.rows_loaded, counts.rows_rejected) == (DAY_ROWS - len(bad), len(bad))
    assert loaded_lines == (len(bad) + 2,)


def test_a_reference_file_that_is_not_utf8_fails_and_keeps_the_loaded_table(data_paths, days):
    """A Latin-1 re-delivery of a reference file replaces nothing (daily files: test_ingest)."""
    path = data_paths.landing / REFERENCE_FOLDER / "airports.csv"
    with connect(data_paths.warehouse) as connection:
        load_files(connection, AIRPORTS, [LandingFile(path)])
        before = connection.execute("SELECT count(*) FROM raw.airports").fetchone()[0]
        text = path.read_text() + "ZRH,Zürich Airport,47.46,8.55,1416,1,E,Europe/Zurich\n"
        path.write_bytes(text.encode("latin-1"))
        with pytest.raises(LandingFileError) as failure:
            load_files(connection, AIRPORTS, [LandingFile(path)])
        after = connection.execute("SELECT count(*) FROM raw.airports").fetchone()[0]
    assert str(path) in str(failure.value) and "UTF-8" in str(failure.value)
    assert "re-deliver" in str(failure.value)
    assert after == before == 1458


def test_a_truncated_last_line_is_rejected_even_when_its_cut_value_still_parses(data_paths, days):
    """A copy cut inside time_hour leaves '2013-01-01', a valid timestamp of the wrong hour."""
    path = days(DAY)
    text = path.read_text()
    cut = text[: text.rindex("T")]  # the last line ends ...,2013-01-01
    path.write_text(cut)
    with connect(data_paths.warehouse) as connection:
        counts = _load(connection, path, DAY)
        rejects = _rejects(connection)
        last_loaded = connection.execute("SELECT max(source_line) FROM raw.flights").fetchone()
    assert rejects == [
        (DAY_ROWS + 1, "no line end: the last line may be truncated", cut.splitlines()[-1])
    ]
    assert (counts.rows_loaded, counts.rows_rejected) == (DAY_ROWS - 1, 1)
    assert last_loaded == (DAY_ROWS,)


def test_a_duplicated_row_loads_once_and_its_copies_are_rejected(data_paths, days):
    """The contract's key columns name one flight; dbt's unique test on flight_id relies on it."""
    path = days(DAY)
    header, *rows = path.read_text().splitlines()
    conflicting = _with_field(rows[1], "dep_delay", "99")  # same key, another value
    path.write_text("\n".join([header, *rows, rows[0], conflicting, rows[0]]) + "\n")
    with connect(data_paths.warehouse) as connection:
        counts = _load(connection, path, DAY)
        rejects = _rejects(connection)
        dep_delay = connection.execute(
            "SELECT dep_delay FROM raw.flights WHERE source_line = 3"
        ).fetchone()
        distinct_keys = connection.execute(
            "SELECT count(DISTINCT (year, month, day, carrier, flight, origin, sched_dep_time, "
            "time_hour)) FROM raw.flights"
        ).fetchone()[0]
    first = DAY_ROWS + 2
    assert rejects == [
        (first, "duplicate key: same as line 2", rows[0]),
        (first + 1, "duplicate key: same as line 3", conflicting),
        (first + 2, "duplicate key: same as line 2", rows[0]),
    ]
    assert (counts.rows_read, counts.rows_loaded, counts.rows_rejected) == (
        DAY_ROWS + 3,
        DAY_ROWS,
        3,
    )
    assert dep_delay == (rows[1].split(",")[5],)  # the first line of a key wins
    assert distinct_keys == DAY_ROWS


def test_rows_dated_outside_the_partition_are_rejected_and_never_touch_their_own_day(
    data_paths, days
):
    next_day = days(NEXT_DAY)
    path = days(DAY)
    strays = next_day.read_text().splitlines()[1:4]
    impossible = _with_field(_with_field(strays[0], "month", "2"), "day", "30")
    path.write_text(path.read_text() + "\n".join([*strays, impossible]) + "\n")
    with connect(data_paths.warehouse) as connection:
        _load(connection, next_day, NEXT_DAY)
        next_day_before = connection.execute(
            f"{SNAPSHOT.replace('ORDER BY', 'WHERE partition_date = ? ORDER BY')}", [NEXT_DAY]
        ).fetchall()
        counts = _load(connection, path, DAY)
        next_day_after = connection.execute(
            f"{SNAPSHOT.replace('ORDER BY', 'WHERE partition_date = ? ORDER BY')}", [NEXT_DAY]
        ).fetchall()
        reasons = {reason for _, reason, _ in _rejects(connection)}
        wrong_day = connection.execute(
            "SELECT count(*) FROM raw.flights WHERE partition_date = ? AND day <> '1'", [DAY]
        ).fetchone()[0]
    assert reasons == {"date outside partition 2013-01-01"}
    assert (counts.rows_loaded, counts.rows_rejected) == (DAY_ROWS, 4)
    assert wrong_day == 0
    assert next_day_after == next_day_before and len(next_day_after) == NEXT_DAY_ROWS


def test_crlf_line_ends_load_the_same_rows_as_lf_without_a_trailing_carriage_return(
    data_paths, days
):
    path = days(DAY)
    lf_text = path.read_text()
    with connect(data_paths.warehouse) as connection:
        _load(connection, path, DAY)
        from_lf = connection.execute(SNAPSHOT).fetchall()
        path.write_bytes(lf_text.replace("\n", "\r\n").encode())
        counts = _load(connection, path, DAY)
        from_crlf = connection.execute(SNAPSHOT).fetchall()
        with_cr = connection.execute(
            "SELECT count(*) FROM raw.flights WHERE time_hour LIKE '%' || chr(13) || '%'"
        ).fetchone()[0]
    assert counts.rows_loaded == DAY_ROWS and counts.rows_rejected == 0
    assert from_crlf == from_lf
    assert with_cr == 0


def test_one_enormous_line_is_rejected_whole_and_the_rows_around_it_load(data_paths, days):
    path = days(DAY)
    header, *rows = path.read_text().splitlines()
    enormous = " ".join([rows[0]] * 60_000)  # ~5 MB: a day's rows that lost their line ends
    path.write_text("\n".join([header, *rows[:100], enormous, *rows[100:]]) + "\n")
    with connect(data_paths.warehouse) as connection:
        counts = _load(connection, path, DAY)
        ((line, reason, text),) = _rejects(connection)
    assert len(enormous) > 4_000_000
    assert (line, reason) == (102, "wrong field count: expected 19, found 1080001")
    assert text == enormous
    assert (counts.rows_loaded, counts.rows_rejected) == (DAY_ROWS, 1)


def test_an_enormous_first_line_fails_with_a_short_message_and_keeps_the_loaded_day(
    data_paths, days
):
    """A file that lost all its line ends has no header: refused without reading it whole."""
    path = days(DAY)
    with connect(data_paths.warehouse) as connection:
        _load(connection, path, DAY)
        path.write_text(path.read_text().replace("\n", " ") + "\n")
        with pytest.raises(LandingFileError) as failure:
            _load(connection, path, DAY)
        assert _rows(connection, DAY) == DAY_ROWS
    message = str(failure.value)
    assert str(path) in message and f"longer than {MAX_HEADER_BYTES} bytes" in message
    assert len(message) < 500
