"""What has arrived in the landing zone: complete days and the reference files, with signatures.

A day is complete when every daily source has delivered its file. A signature (size and
modification time) tells a re-delivered file from one already loaded.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from platform_assets.lib.raw_contract import DAILY_SOURCES, REFERENCE_SOURCES

# The landing zone's layout, for the demo replay and a user's own files alike:
# <landing>/<daily source>/YYYY-MM-DD.csv and <landing>/reference/<source>.csv.
REFERENCE_FOLDER = "reference"


def daily_file_name(day: date) -> str:
    """The landing file name of one day, e.g. `2013-01-01.csv`."""
    return f"{day.isoformat()}.csv"


def _signature(paths: list[Path]) -> str:
    stats = [path.stat() for path in paths]
    return f"{sum(s.st_size for s in stats)}-{max(s.st_mtime_ns for s in stats)}"


def day_files(folder: Path) -> dict[str, Path]:
    """The day files of one source folder by day (YYYY-MM-DD); any other file or folder named
    *.csv is not a day and is ignored."""
    return {
        path.stem: path
        for path in folder.glob("*.csv")
        if path.is_file() and is_day_name(path.stem)
    }


def arrived_days(landing: Path) -> dict[str, str]:
    """Each complete day (YYYY-MM-DD) and the signature of its files."""
    per_source = [day_files(landing / source.name) for source in DAILY_SOURCES]
    complete = set.intersection(*(set(files) for files in per_source))
    return {day: _signature([files[day] for files in per_source]) for day in complete}


def is_day_name(text: str) -> bool:
    """True for a day written exactly as YYYY-MM-DD, the only form a landing file is named in.

    Python also reads '20130101' and '2013-W01-2' as dates; those names are not day files.
    """
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def reference_signature(landing: Path) -> str | None:
    """The signature of the reference files, or None until all of them have arrived."""
    files = [landing / REFERENCE_FOLDER / f"{source.name}.csv" for source in REFERENCE_SOURCES]
    return _signature(files) if all(path.exists() for path in files) else None


def contiguous_ranges(days: list[str]) -> list[tuple[str, str]]:
    """Sorted days grouped into (first, last) runs of consecutive days."""
    ranges: list[tuple[str, str]] = []
    for day in sorted(days):
        if ranges and (date.fromisoformat(day) - date.fromisoformat(ranges[-1][1])).days == 1:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
