"""Measuring a command the way the operating system accounts for it: wall time and peak memory.

Each figure is the median of several runs of a fresh process (`os.wait4` gives the child's
own peak resident memory), so imports and start-up are paid the way a user pays them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@dataclass(frozen=True)
class Measurement:
    wall_seconds: float
    peak_memory_mb: float


def measure_once(command: list[str], env: dict[str, str] | None = None) -> Measurement:
    """Run one command to completion; fail loudly if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark command failed: {' '.join(command)}")
    return Measurement(wall, usage.ru_maxrss / 1024)


def measure(command: list[str], runs: int = 3, env=None, prepare=None) -> Measurement:
    """Median wall time and median peak memory over `runs` fresh runs (`prepare` before each)."""
    results = []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        results.append(measure_once(command, env))
    return Measurement(
        statistics.median(r.wall_seconds for r in results),
        statistics.median(r.peak_memory_mb for r in results),
    )
