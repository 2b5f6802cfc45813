"""The daily partitions every day-by-day asset shares, and the days of a run.

The range comes from the settings (the demo year unless PLATFORM_PARTITION_START and
PLATFORM_PARTITION_END say otherwise), read when the definitions are built.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from platform_assets.lib.settings import PlatformSettings


def build_daily_partitions(settings: PlatformSettings) -> dg.DailyPartitionsDefinition:
    """One partition per day of the settings' range (inclusive at both ends)."""
    # Dagster's end date is exclusive.
    return dg.DailyPartitionsDefinition(
        start_date=settings.partition_start.isoformat(),
        end_date=(settings.partition_end + timedelta(days=1)).isoformat(),
    )


def partition_days(context: dg.AssetExecutionContext) -> list[date]:
    """Every day of the run's partition range (one day, or a whole backfill in a single run)."""
    window = context.partition_time_window
    first, stop = window.start.date(), window.end.date()
    return [first + timedelta(days=offset) for offset in range((stop - first).days)]


def day_chunks(days: list[date], size: int = 31) -> list[tuple[date, date]]:
    """The run's days as (first, last) ranges of at most `size` days.

    Steps that hold rows in memory work chunk by chunk, so a year's backfill (or ten times
    the demo data) needs the memory of a month, not of the year.
    """
    return [(days[i], days[min(i + size, len(days)) - 1]) for i in range(0, len(days), size)]
