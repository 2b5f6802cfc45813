"""`make bench`: the benchmark suite, one table of figures, baselines, ratios and targets.

Runs on a temporary data root, writes the table to bench/RESULTS.md with the date and the
machine. Benchmarks are not tests: nothing here fails on a slow figure.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from harness import PYTHON, REPO, measure

from platform_assets.lib.demo_data import replay


def _machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory_gib:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="platform-bench-"))
    landing_root = work / "landing_year"
    replay(landing_root / "landing", date(2013, 1, 1), date(2013, 12, 31))
    (work / "compile").mkdir()  # dbt opens a (scratch) warehouse to compile against
    subprocess.run(
        [str(Path(PYTHON).parent / "dbt"), "compile", "--quiet", "--profiles-dir", "."],
        cwd=REPO / "dbt_project",
        env={**os.environ, "PLATFORM_DATA_DIR": str(work / "compile")},
        check=True,
    )
    rows = []

    def fresh(name: str) -> dict[str, str]:
        root = work / name
        return {"PLATFORM_DATA_DIR": str(root)}

    def reset(name: str):
        def prepare():
            root = work / name
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(landing_root, root)

        return prepare

    platform_run = measure(
        [PYTHON, "bench/backfill_platform.py", "2013-01-01", "2013-12-31"],
        env=fresh("b1_platform"),
        prepare=reset("b1_platform"),
    )
    baseline_run = measure(
        [PYTHON, "bench/backfill_baseline.py"], env=fresh("b1_base"), prepare=reset("b1_base")
    )
    rows.append(
        ("B1 full-year backfill, ingest + dbt (s)", platform_run.wall_seconds,
         baseline_run.wall_seconds, "<= 60 s and <= baseline + 20 s")
    )  # fmt: skip
    rows.append(
        ("B1 peak memory (MB)", platform_run.peak_memory_mb, baseline_run.peak_memory_mb, "")
    )

    definitions = measure([PYTHON, "-c", "import platform_assets.definitions"])
    bare = measure([PYTHON, "-c", "import dagster_dbt"])
    rows.append(
        ("B5 definitions load, cold (s)", definitions.wall_seconds, bare.wall_seconds, "<= 1.3 x")
    )

    training = measure(
        [PYTHON, "bench/train_classifier.py", "delay_classifier"], env=fresh("b1_platform")
    )
    rows.append(("B7 train classifier, 90-day window (s)", training.wall_seconds, None, "<= 30 s"))
    rows.append(("B7 peak memory (MB)", training.peak_memory_mb, None, "<= 4096 MB"))

    tick = subprocess.run(
        [PYTHON, "bench/sensor_tick.py", "delay_classifier"],
        cwd=REPO,
        env={**os.environ, **fresh("b1_platform")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    rows.append(("B6 retraining sensor tick, year of history (s)", float(tick), None, "<= 0.3 s"))

    table = ["| id | figure | baseline | ratio | target |", "|---|---|---|---|---|"]
    for name, figure, baseline, target in rows:
        ratio = f"{figure / baseline:.2f}" if baseline else ""
        base = f"{baseline:.2f}" if baseline is not None else ""
        table.append(f"| {name} | {figure:.2f} | {base} | {ratio} | {target} |")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"# Benchmark results\n\n{stamp}, {_machine()}; medians of 3 runs.\n\n" + "\n".join(
        table
    )
    print(text)
    (REPO / "bench" / "RESULTS.md").write_text(text + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
