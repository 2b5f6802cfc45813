"""The platform's settings from the environment, read in one place and checked once.

| variable | default | what it sets |
|---|---|---|
| PLATFORM_DATA_DIR | ./data | the data root: warehouse, landing zone, artifacts, reports |
| PLATFORM_PARTITION_START | 2013-01-01 | first day of the daily partitions (inclusive) |
| PLATFORM_PARTITION_END | 2013-12-31 | last day of the daily partitions (inclusive) |
| PLATFORM_MODELS_FILE | the shipped models.yaml | the declared models |
| PLATFORM_LANDING_ATTEMPTS | 3 | runs asked for a day whose ingest fails, then an alert |
| PLATFORM_EVIDENTLY_URL | http://127.0.0.1:8000 | the Evidently UI that links point to |
| PLATFORM_SERVE_POLL_SECONDS | 10 | how often the prediction service reads the champion manifests |

The defaults are the demo year; a user's own data sets its range. The definitions read these
when they are built (`definitions.build_definitions`), runs and sensors when they start: never
at module import, so tests and tools can set them first.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DEFAULT_DATA_DIR = "data"
DEFAULT_PARTITION_START = "2013-01-01"
DEFAULT_PARTITION_END = "2013-12-31"
DEFAULT_MODELS_FILE = Path(__file__).resolve().parents[1] / "models.yaml"
DEFAULT_EVIDENTLY_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class PlatformSettings:
    """Where the data lives, the range of days the platform partitions, and the models file."""

    data_dir: Path
    partition_start: date
    partition_end: date
    models_file: Path
    landing_attempts: int = 3
    evidently_url: str = DEFAULT_EVIDENTLY_URL
    serve_poll_seconds: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> PlatformSettings:
        """The settings from the environment; a bad value fails with the variable's name."""
        start = _day(environ, "PLATFORM_PARTITION_START", DEFAULT_PARTITION_START)
        end = _day(environ, "PLATFORM_PARTITION_END", DEFAULT_PARTITION_END)
        if start > end:
            raise ValueError(
                f"PLATFORM_PARTITION_START {start} is after PLATFORM_PARTITION_END {end}."
            )
        return cls(
            data_dir=Path(environ.get("PLATFORM_DATA_DIR", DEFAULT_DATA_DIR)).resolve(),
            partition_start=start,
            partition_end=end,
            models_file=Path(environ.get("PLATFORM_MODELS_FILE", DEFAULT_MODELS_FILE)),
            landing_attempts=_attempts(environ, "PLATFORM_LANDING_ATTEMPTS", 3),
            evidently_url=environ.get("PLATFORM_EVIDENTLY_URL", DEFAULT_EVIDENTLY_URL).rstrip("/"),
            serve_poll_seconds=_seconds(environ, "PLATFORM_SERVE_POLL_SECONDS", 10.0),
        )


def _attempts(environ: Mapping[str, str], variable: str, default: int) -> int:
    text = environ.get(variable, str(default))
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{variable}={text!r} is not a whole number of runs of at least 1.")
    return int(text)


def _seconds(environ: Mapping[str, str], variable: str, default: float) -> float:
    text = environ.get(variable, str(default))
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= 60:  # a promotion is served within a minute
        raise ValueError(f"{variable}={text!r} is not a number of seconds in (0, 60].")
    return seconds


def _day(environ: Mapping[str, str], variable: str, default: str) -> date:
    text = environ.get(variable, default)
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"{variable}={text!r} is not a date: use YYYY-MM-DD.") from error
