"""Set-based loading of landing files into raw tables, with rejects quarantined.

A batch of files (one per partition, or one reference file) is read by DuckDB, split into
lines and fields, checked against the raw contract, and written in one transaction that
replaces exactly the batch's partitions: loading the same files twice leaves the same rows.
Rows that break the contract go to `raw.rejected_rows` with their line number, reason and
original text, so that rows read = rows loaded + rows rejected for every file.
docs/bad_input.md lists each kind of malformed file and what happens to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from platform_assets.lib.raw_contract import ALL_SOURCES, MISSING_MARKERS, RawSource
from platform_assets.lib.warehouse import quote_identifier, transaction

# One CSV field after its comma: a quoted field (with "" as an escaped quote) or anything up to
# the next comma. Lines are matched with a comma put in front: anchoring the first field on `^`
# instead lost an empty first field (',1,1' gave two fields), misreporting a missing key.
CSV_FIELD_PATTERN = r',("(?:[^"]|"")*"|[^,]*)'
LINEAGE_COLUMNS_SQL = "source_file VARCHAR, source_line INTEGER, loaded_at TIMESTAMPTZ"
# A real header is a few hundred bytes; reading no more keeps a file that is one enormous
# line (or has lost its line ends) from being read whole, and from filling the error message.
MAX_HEADER_BYTES = 10_000
SHOWN_HEADER_CHARS = 300


class LandingFileError(ValueError):
    """A landing file that cannot be loaded at all: missing, unreadable or with a wrong header."""


@dataclass(frozen=True)
class LandingFile:
    """One file to load, and the partition (a local date) it belongs to, if its source is daily."""

    path: Path
    partition: date | None = None


@dataclass(frozen=True)
class LoadCounts:
    """What happened to the rows of one file: read = loaded + rejected."""

    rows_read: int
    rows_loaded: int
    rows_rejected: int


def ensure_raw_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, its tables and the rejects table if they do not exist yet."""
    connection.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for source in ALL_SOURCES:
        columns = ", ".join(f"{quote_identifier(c)} VARCHAR" for c in source.columns)
        partition = "partition_date DATE, " if source.daily else ""
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {source.table} "
            f"({columns}, {partition}{LINEAGE_COLUMNS_SQL})"
        )
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS raw.rejected_rows (
            source VARCHAR, partition_date DATE, source_file VARCHAR, line_number INTEGER,
            reason VARCHAR, original_text VARCHAR, rejected_at TIMESTAMPTZ
        )
        """
    )


def check_header(source: RawSource, landing_file: LandingFile) -> None:
    """Fail early, naming the file, when it is missing, empty, unreadable or has another header."""
    path = landing_file.path
    if not path.is_file():
        raise LandingFileError(
            f"Landing file {path} for {source.name} is missing: deliver it (for the demo data, "
            f"run `platform-assets replay`) and materialize the partition again."
        )
    try:
        with path.open("rb") as handle:
            first_bytes = handle.readline(MAX_HEADER_BYTES + 1)
        if len(first_bytes) > MAX_HEADER_BYTES:
            raise LandingFileError(
                f"Landing file {path} does not start with a header: its first line is longer "
                f"than {MAX_HEADER_BYTES} bytes (lines must end with LF or CRLF). "
                "Fix the file and materialize the partition again."
            )
        first_line = first_bytes.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise LandingFileError(
            f"Landing file {path} cannot be read as UTF-8 text: {error}"
        ) from error
    found = tuple(name.strip().strip('"') for name in first_line.rstrip("\r\n").split(","))
    found_text = ", ".join(found) if first_line.strip() else "(none: the file is empty)"
    if len(found_text) > SHOWN_HEADER_CHARS:
        found_text = found_text[:SHOWN_HEADER_CHARS] + " ..."
    if found != source.columns:
        raise LandingFileError(
            f"Landing file {path} has an unexpected header.\n"
            f"  expected columns: {', '.join(source.columns)}\n"
            f"  found columns:    {found_text}\n"
            f"Fix the file (same columns, same order) and materialize the partition again."
        )


def _rejection_reason_sql(source: RawSource) -> str:
    """A SQL CASE giving the first contract violation of a row's `fields`, or NULL if valid."""
    position = {column: index + 1 for index, column in enumerate(source.columns)}
    missing = ", ".join(f"'{marker}'" for marker in MISSING_MARKERS)

    def field(column: str) -> str:
        return f"fields[{position[column]}]"

    conditions = [
        # A last line without a line end is what a copy cut short leaves; its last field may be
        # cut too and still parse ('2013-01-01T10:00:00Z' -> '2013-01-01'), so it never loads.
        ("unterminated", "'no line end: the last line may be truncated'"),
        (
            f"len(fields) <> {len(source.columns)}",
            f"'wrong field count: expected {len(source.columns)}, found ' || len(fields)",
        ),
    ]
    for column in source.key_columns:
        conditions.append((f"{field(column)} IN ({missing})", f"'missing key: {column}'"))
    for column in source.numeric_columns:
        conditions.append(
            (
                f"{field(column)} NOT IN ({missing}) "
                f"AND TRY_CAST({field(column)} AS DOUBLE) IS NULL",
                f"'unparseable number in {column}'",
            )
        )
        # 'nan', 'inf' and '1e400' cast to DOUBLE, but no measurement is infinite or NaN.
        conditions.append(
            (
                f"NOT isfinite(TRY_CAST({field(column)} AS DOUBLE))",
                f"'not a finite number in {column}'",
            )
        )
    for column in source.timestamp_columns:
        conditions.append(
            (
                f"{field(column)} NOT IN ({missing}) "
                f"AND TRY_CAST({field(column)} AS TIMESTAMPTZ) IS NULL",
                f"'unparseable timestamp in {column}'",
            )
        )
        # the contract's instants are UTC: a value without a zone would be read in the
        # session's zone, which is a guess
        conditions.append(
            (
                f"{field(column)} NOT IN ({missing}) "
                f"AND NOT regexp_matches({field(column)}, '(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$')",
                f"'timestamp without a time zone in {column}: write it in UTC, "
                "for example 2013-01-01T10:00:00Z'",
            )
        )
    if source.daily:
        year, month, day = (f"TRY_CAST({field(c)} AS INTEGER)" for c in source.date_columns)
        conditions.append(
            (
                f"try(make_date({year}, {month}, {day})) IS DISTINCT FROM partition_date",
                "'date outside partition ' || strftime(partition_date, '%Y-%m-%d')",
            )
        )
    cases = "\n".join(f"WHEN {condition} THEN {reason}" for condition, reason in conditions)
    return f"CASE {cases} ELSE NULL END"


def _stage_lines(
    connection: duckdb.DuckDBPyConnection, source: RawSource, files: list[LandingFile]
) -> None:
    """Read the files into a temporary table of checked lines: fields, reason, line number."""
    connection.execute("DROP TABLE IF EXISTS staged_files")
    connection.execute("CREATE TEMP TABLE staged_files (path VARCHAR, partition_date DATE)")
    connection.executemany(
        "INSERT INTO staged_files VALUES (?, ?)",
        [(str(f.path), f.partition) for f in files],
    )
    unquote = "list_transform(raw_fields, lambda f: CASE WHEN f LIKE '\"%\"' " \
        "THEN replace(f[2:-2], '\"\"', '\"') ELSE f END)"  # fmt: skip
    position = {column: index + 1 for index, column in enumerate(source.columns)}
    keys = ", ".join(f"fields[{position[column]}]" for column in source.key_columns)
    try:
        connection.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE staged_lines AS
            WITH lines AS (
                SELECT filename, generate_subscripts(parts, 1) AS line_number,
                       unnest(parts) AS line, line_count
                FROM (SELECT filename, parts, len(parts) AS line_count  -- counted per file:
                      -- len(parts) beside unnest() would be evaluated once per line
                      FROM (SELECT filename, string_split(content, chr(10)) AS parts
                            FROM read_text($paths)))
            ), split AS (
                -- a file that ends with a line end splits into a last, empty part; a non-empty
                -- last part is a line without one
                SELECT s.partition_date, l.filename, l.line_number,
                       l.line_number = l.line_count AS unterminated,
                       rtrim(l.line, chr(13)) AS original_text,
                       regexp_extract_all(',' || rtrim(l.line, chr(13)), $pattern, 1) AS raw_fields
                FROM lines AS l JOIN staged_files AS s ON s.path = l.filename
                WHERE l.line_number > 1 AND trim(rtrim(l.line, chr(13))) <> ''
            ), fielded AS (
                SELECT * EXCLUDE (raw_fields), {unquote} AS fields FROM split
            ), checked AS (
                SELECT *, {_rejection_reason_sql(source)} AS contract_reason FROM fielded
            ), keyed AS (
                -- the contract's key columns name one row: among a file's valid rows, the first
                -- line with a key loads and later ones are rejected, so a duplicated row
                -- is never loaded twice
                SELECT *, min(line_number) OVER (
                    PARTITION BY filename, contract_reason IS NULL, {keys}
                ) AS first_line
                FROM checked
            )
            SELECT * EXCLUDE (contract_reason, first_line, unterminated),
                   CASE WHEN contract_reason IS NOT NULL THEN contract_reason
                        WHEN line_number > first_line
                        THEN 'duplicate key: same as line ' || first_line
                   END AS reason
            FROM keyed
            """,
            {"paths": [str(f.path) for f in files], "pattern": CSV_FIELD_PATTERN},
        )
    except (duckdb.InvalidInputException, duckdb.IOException) as error:
        raise LandingFileError(
            f"Landing files for {source.name} could not be read ({error}). "
            "Fix or re-deliver the file named above and materialize the partition again."
        ) from error


def load_files(
    connection: duckdb.DuckDBPyConnection, source: RawSource, files: list[LandingFile]
) -> dict[date | None, LoadCounts]:
    """Load a batch of files, replacing exactly their partitions (or the whole reference table).

    Every file is checked before anything is written; the write is one transaction, so a
    failure leaves the tables as they were.
    """
    if not files:
        raise ValueError(f"No landing files given for {source.name}.")
    for landing_file in files:
        check_header(source, landing_file)
    ensure_raw_schema(connection)
    _stage_lines(connection, source, files)

    values = ", ".join(
        f"fields[{index + 1}] AS {quote_identifier(column)}"
        for index, column in enumerate(source.columns)
    )
    partition_value = "partition_date, " if source.daily else ""
    with transaction(connection):
        if source.daily:
            connection.execute(
                f"DELETE FROM {source.table} "
                "WHERE partition_date IN (SELECT partition_date FROM staged_files)"
            )
            connection.execute(
                "DELETE FROM raw.rejected_rows WHERE source = $source "
                "AND partition_date IN (SELECT partition_date FROM staged_files)",
                {"source": source.name},
            )
        else:
            connection.execute(f"DELETE FROM {source.table}")
            connection.execute(
                "DELETE FROM raw.rejected_rows WHERE source = $source", {"source": source.name}
            )
        connection.execute(
            f"INSERT INTO {source.table} SELECT {values}, {partition_value}"
            "filename, line_number, now() FROM staged_lines WHERE reason IS NULL"
        )
        connection.execute(
            "INSERT INTO raw.rejected_rows SELECT $source, partition_date, filename, "
            "line_number, reason, original_text, now() "
            "FROM staged_lines WHERE reason IS NOT NULL",
            {"source": source.name},
        )
        counts = connection.execute(
            """
            SELECT s.partition_date, count(l.line_number),
                   count(l.line_number) FILTER (WHERE l.reason IS NULL)
            FROM staged_files AS s LEFT JOIN staged_lines AS l ON l.filename = s.path
            GROUP BY s.partition_date
            """
        ).fetchall()
    return {
        partition: LoadCounts(rows_read=read, rows_loaded=loaded, rows_rejected=read - loaded)
        for partition, read, loaded in counts
    }
