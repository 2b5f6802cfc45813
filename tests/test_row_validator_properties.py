"""Properties of the row validator, on generated flights rows loaded through `load_files`.

Each test opens one DuckDB file in its own tmp dir and loads every generated example into
the same partition, which each load replaces.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_assets.lib.ingest import LandingFile, load_files
from platform_assets.lib.raw_contract import FLIGHTS
from platform_assets.lib.warehouse import connect, quote_identifier

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COLUMNS = FLIGHTS.columns
TEXT_COLUMNS = [c for c in COLUMNS if c not in FLIGHTS.numeric_columns + FLIGHTS.timestamp_columns]
# Anything but a line end; commas and quotes are written as a quoted CSV field.
field_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\n\r\x00"), max_size=12
)
numbers = st.one_of(
    st.integers(-(10**9), 10**9).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
days = st.dates(date(2013, 1, 1), date(2013, 12, 31))
instants = st.datetimes(datetime(2012, 1, 1), datetime(2014, 12, 31)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")
)


def _csv_field(value: str) -> str:
    if "," in value or '"' in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _line(values: dict[str, str]) -> str:
    return ",".join(_csv_field(values[column]) for column in COLUMNS)


@st.composite
def valid_rows(draw, day: date) -> dict[str, str]:
    """A row whose every field keeps the contract, dated `day`."""
    row = {"year": str(day.year), "month": str(day.month), "day": str(day.day)}
    for column in COLUMNS:
        if column in row:
            continue
        is_key = column in FLIGHTS.key_columns
        if column in FLIGHTS.timestamp_columns:
            value = instants
        elif column in FLIGHTS.numeric_columns:
            value = numbers
        else:
            value = field_text.filter(lambda text: text not in ("", "NA")) if is_key else field_text
        if not is_key:
            value = st.one_of(value, st.sampled_from(["", "NA"]))
        row[column] = draw(value)
    return row


def _key(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[column] for column in FLIGHTS.key_columns)


@pytest.fixture
def warehouse(data_paths):
    """One connection and one landing file path for all the examples of a test."""
    path = data_paths.landing / "flights" / "day.csv"
    path.parent.mkdir(parents=True)
    with connect(data_paths.warehouse) as connection:
        yield connection, path


def _load(warehouse, lines: list[str], day: date):
    connection, path = warehouse
    path.write_text("\n".join([",".join(COLUMNS), *lines]) + "\n", encoding="utf-8")
    return load_files(connection, FLIGHTS, [LandingFile(path, day)])[day]


def _loaded(connection, day: date) -> list[dict[str, str]]:
    """The raw rows of one partition (examples of other days stay in other partitions)."""
    rows = connection.execute(
        f"SELECT {', '.join(map(quote_identifier, COLUMNS))} FROM raw.flights "
        "WHERE partition_date = ? ORDER BY source_line",
        [day],
    ).fetchall()
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def _rejected(connection, day: date) -> list[tuple]:
    return connection.execute(
        "SELECT line_number, reason, original_text FROM raw.rejected_rows "
        "WHERE partition_date = ? ORDER BY line_number",
        [day],
    ).fetchall()


def test_rows_of_valid_values_load_unchanged(warehouse):
    connection, _ = warehouse

    @SETTINGS
    @given(data=st.data(), day=days)
    def check(data, day):
        rows = data.draw(st.lists(valid_rows(day), min_size=1, max_size=4, unique_by=_key))
        counts = _load(warehouse, [_line(row) for row in rows], day)
        assert (counts.rows_loaded, counts.rows_rejected) == (len(rows), 0)
        assert _loaded(connection, day) == rows

    check()


def test_quoted_fields_with_commas_and_quotes_survive(warehouse):
    connection, _ = warehouse
    awkward = st.text(st.sampled_from(list(",\"' ;a\t")), min_size=1, max_size=10)

    @SETTINGS
    @given(data=st.data(), tailnum=awkward, dest=awkward)
    def check(data, tailnum, dest):
        row = data.draw(valid_rows(date(2013, 1, 1))) | {"tailnum": tailnum, "dest": dest}
        _load(warehouse, [_line(row)], date(2013, 1, 1))
        assert [(r["tailnum"], r["dest"]) for r in _loaded(connection, date(2013, 1, 1))] == [
            (tailnum, dest)
        ]

    check()


not_a_number = st.text(st.sampled_from(list("xyz?# ")), min_size=1, max_size=6).filter(
    lambda text: text.strip()
)
CORRUPTIONS = ["not_a_number", "bad_timestamp", "missing_key", "field_count", "other_day"]


@st.composite
def corrupted(draw, row: dict[str, str], day: date) -> tuple[str, str, date]:
    """One field (or the field count, or the partition) broken: (line, expected reason, day)."""
    kind = draw(st.sampled_from(CORRUPTIONS))
    if kind == "not_a_number":
        column = draw(st.sampled_from(FLIGHTS.numeric_columns))
        return _line(row | {column: draw(not_a_number)}), f"unparseable number in {column}", day
    if kind == "bad_timestamp":
        value = draw(not_a_number | st.sampled_from(["2013-13-01T00:00:00Z", "2013-01-01T25"]))
        return _line(row | {"time_hour": value}), "unparseable timestamp in time_hour", day
    if kind == "missing_key":
        column = draw(st.sampled_from(FLIGHTS.key_columns))
        missing = draw(st.sampled_from(["", "NA"]))
        return _line(row | {column: missing}), f"missing key: {column}", day
    if kind == "field_count":
        fields = [_csv_field(row[column]) for column in COLUMNS]
        if draw(st.booleans()):
            fields.pop(draw(st.integers(0, len(fields) - 1)))
        else:
            fields.insert(draw(st.integers(0, len(fields))), "extra")
        return ",".join(fields), f"wrong field count: expected 19, found {len(fields)}", day
    partition = day + timedelta(days=draw(st.integers(1, 400)) * draw(st.sampled_from([-1, 1])))
    return _line(row), f"date outside partition {partition.isoformat()}", partition


def test_a_row_with_one_broken_field_is_rejected_with_its_reason_and_never_loaded(warehouse):
    connection, _ = warehouse

    @SETTINGS
    @given(data=st.data(), day=days)
    def check(data, day):
        good, other = data.draw(st.lists(valid_rows(day), min_size=2, max_size=2, unique_by=_key))
        line, reason, partition = data.draw(corrupted(other, day))
        good = good | {"year": str(partition.year), "month": str(partition.month)}
        good |= {"day": str(partition.day)}  # the good row always belongs to the partition
        counts = _load(warehouse, [line, _line(good)], partition)
        assert _rejected(connection, partition) == [(2, reason, line)]
        assert _loaded(connection, partition) == [good]
        assert (counts.rows_read, counts.rows_loaded, counts.rows_rejected) == (2, 1, 1)

    check()


def test_loading_the_same_file_twice_leaves_the_same_tables(warehouse):
    connection, _ = warehouse
    tables = (
        "SELECT * EXCLUDE (loaded_at) FROM raw.flights ORDER BY partition_date, source_line",
        "SELECT * EXCLUDE (rejected_at) FROM raw.rejected_rows "
        "ORDER BY partition_date, line_number",
    )

    @SETTINGS
    @given(data=st.data(), day=days)
    def check(data, day):
        rows = data.draw(st.lists(valid_rows(day), min_size=1, max_size=3))  # keys may repeat
        broken = [data.draw(corrupted(row, day))[0] for row in rows[:1]]
        lines = data.draw(st.permutations([_line(row) for row in rows] + broken))
        first = _load(warehouse, lines, day)
        before = [connection.execute(sql).fetchall() for sql in tables]
        second = _load(warehouse, lines, day)
        assert [connection.execute(sql).fetchall() for sql in tables] == before
        assert first == second and first.rows_read == len(lines)

    check()


def test_any_lines_are_loaded_or_rejected_and_the_counts_reconcile(warehouse):
    """Arbitrary text never crashes the load: every non-blank line is loaded or rejected."""
    connection, _ = warehouse
    lines = st.lists(
        st.text(
            st.characters(exclude_categories=("Cs",), exclude_characters="\n\x00"), max_size=40
        ),
        max_size=6,
    )

    @SETTINGS
    @given(lines=lines)
    def check(lines):
        day = date(2013, 1, 1)
        counts = _load(warehouse, lines, day)
        stored = connection.execute(
            "SELECT (SELECT count(*) FROM raw.flights WHERE partition_date = $day), "
            "(SELECT count(*) FROM raw.rejected_rows WHERE partition_date = $day)",
            {"day": day},
        ).fetchone()
        non_blank = [line for line in lines if line.rstrip("\r").strip(" ")]  # as SQL trim()
        assert counts.rows_read == len(non_blank)
        assert stored == (counts.rows_loaded, counts.rows_rejected)
        assert counts.rows_loaded + counts.rows_rejected == counts.rows_read

    check()


def test_an_empty_first_field_is_reported_as_a_missing_key(warehouse):
    """Found by the property above: a leading empty field was once dropped by the splitter."""
    connection, _ = warehouse
    row = {column: "1" for column in COLUMNS} | {"year": "", "time_hour": "2013-01-01T10:00:00Z"}
    _load(warehouse, [_line(row)], date(2013, 1, 1))
    assert _rejected(connection, date(2013, 1, 1)) == [(2, "missing key: year", _line(row))]
