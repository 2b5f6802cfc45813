"""The daily partitions every day-by-day asset shares.

Defaults to the demo year (2013); a user's own data sets its range with
PLATFORM_PARTITION_START and PLATFORM_PARTITION_END (inclusive, YYYY-MM-DD).
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import dagster as dg

DEFAULT_START = "2013-01-01"
DEFAULT_END = "2013-12-31"


def partition_range_from_env() -> tuple[date, date]:
    """The first and last day (inclusive), checked so that a typo fails with a clear message."""
    bounds = []
    for variable, default in (
        ("PLATFORM_PARTITION_START", DEFAULT_START),
        ("PLATFORM_PARTITION_END", DEFAULT_END),
    ):
        text = os.environ.get(variable, default)
        try:
            bounds.append(date.fromisoformat(text))
        except ValueError as error:
            raise ValueError(f"{variable}={text!r} is not a date: use YYYY-MM-DD.") from error
    start, end = bounds
    if start > end:
        raise ValueError(f"PLATFORM_PARTITION_START {start} is after PLATFORM_PARTITION_END {end}.")
    return start, end


def build_daily_partitions() -> dg.DailyPartitionsDefinition:
    start, end = partition_range_from_env()
    # Dagster's end date is exclusive.
    return dg.DailyPartitionsDefinition(
        start_date=start.isoformat(), end_date=(end + timedelta(days=1)).isoformat()
    )


daily_partitions = build_daily_partitions()


def partition_days(context: dg.AssetExecutionContext) -> list[date]:
    """Every day of the run's partition range (one day, or a whole backfill in a single run)."""
    window = context.partition_time_window
    first, stop = window.start.date(), window.end.date()
    return [first + timedelta(days=offset) for offset in range((stop - first).days)]


def day_chunks(days: list[date], size: int = 31) -> list[tuple[date, date]]:
    """The run's days as (first, last) ranges of at most `size` days.

    Steps that hold rows in memory work chunk by chunk, so a year's backfill (or ten times
    the demo data) needs the memory of a month, not of the year (bench B4).
    """
    return [(days[i], days[min(i + size, len(days)) - 1]) for i in range(0, len(days), size)]
