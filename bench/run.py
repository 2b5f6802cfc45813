"""`make bench`: the benchmark suite, one table of figures, baselines, ratios and targets.

Runs on a temporary data root, writes the table to bench/RESULTS.md with the date and the
machine. `--skip-x10` leaves out B4 (the year ten times over, the longest of the benchmarks)
and says so in the table's header. Benchmarks are not tests: nothing here fails on a slow
figure. With PLATFORM_BENCH_PG_URL naming a PostgreSQL server (a role that may create
databases), B1 runs on the PostgreSQL instance file too.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
from harness import PYTHON, REPO, measure
from platform_instance import PG_URL_VARIABLE

from platform_assets.lib.demo_data import replay

YEAR = ("2013-01-01", "2013-12-31")
DAY_30, DAY_360 = "2013-01-30", "2013-12-26"
RUNS_NOTE = (
    "medians of 3 runs, except one run each for B3's preset baseline (it takes minutes and "
    "times itself) and the B4 peak memory of training, serving and monitoring."
)


class Rows(list):
    """The table's rows, each printed as it is measured: a benchmark that fails an hour in
    leaves the figures before it in the log."""

    def append(self, row) -> None:
        print(f"measured: {row}", flush=True)
        super().append(row)

    def extend(self, rows) -> None:
        for row in rows:
            self.append(row)

    def __iadd__(self, rows):
        self.extend(rows)
        return self


def _machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory_gib:.0f} GiB, Python {platform.python_version()}"


def _setup(script: str, *arguments: str, env: dict[str, str]) -> str:
    """Run an untimed setup or in-process measuring script; its standard output."""
    return subprocess.run(
        [PYTHON, f"bench/{script}", *arguments],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _largest_score_difference(baseline_csv: Path, warehouse: Path) -> float:
    """Largest |platform - DataDriftPreset| drift score over the days both computed."""
    baseline = pd.read_csv(baseline_csv)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        platform_scores = connection.execute(
            "SELECT model_name AS model, CAST(partition_date AS VARCHAR) AS day, "
            "replace(metric, 'column:', '') AS column, value FROM monitoring.drift "
            "WHERE metric LIKE 'column:%'"
        ).df()
    joined = baseline.merge(platform_scores, on=["model", "day", "column"], how="left")
    if joined["value"].isna().any():
        raise RuntimeError("B3: the platform has no score for some column the baseline scored")
    return float((joined["score"] - joined["value"]).abs().max())


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _folder_sizes_mb(root: Path) -> dict[str, float]:
    """The size of each top-level folder (and file) of a data root, in MB, with the models'
    training sets apart from the rest of the artifacts (keep_training_sets bounds them)."""
    sizes = {path.name: _size(path) for path in sorted(root.iterdir())}
    training_sets = sum(_size(path) for path in root.glob("artifacts/*/training_sets"))
    if "artifacts" in sizes:
        sizes["artifacts"] -= training_sets
        sizes["artifacts/*/training_sets"] = training_sets
    return {name: size / 1e6 for name, size in sizes.items()}


def _ten_times(work: Path, landing_root: Path, platform_backfills, duckdb_baseline, fresh):
    """B4: the year ten times over (about 3.4 million flights) through the same steps."""
    rows = []  # printed as they join the table
    ten_times = work / "landing_x10"
    subprocess.run(
        [PYTHON, "bench/scale_landing.py", "10", str(landing_root / "landing"),
         str(ten_times / "landing")],
        cwd=REPO, check=True,
    )  # fmt: skip

    x10_root = fresh("b4_platform")
    x10_platform, x10_first_load = platform_backfills("b4", ten_times)
    x10_baseline = duckdb_baseline("b4", ten_times)
    rows.append(
        ("B4 x10 backfill, ingest + dbt (s)", x10_platform.wall_seconds,
         x10_baseline.wall_seconds, "<= 2 x")
    )  # fmt: skip
    rows.append(
        ("B4 x10 first load (s)", x10_first_load.wall_seconds, x10_baseline.wall_seconds, "")
    )
    # Peak memory of each later step at ten times the data, for the classifier: one run each
    # (minutes apiece). "serving" trains, evaluates and promotes, then scores the year.
    model = "delay_classifier"
    x10_steps = [
        ("backfill", x10_platform),
        ("first load", x10_first_load),
        ("training", measure([PYTHON, "bench/train_classifier.py", model], 1, x10_root)),
        ("serving", measure([PYTHON, "bench/serve_models.py", *YEAR, model], 1, x10_root)),
        ("monitoring", measure([PYTHON, "bench/monitor_range.py", *YEAR, model], 1, x10_root)),
    ]
    for step, measured in x10_steps:
        rows.append(
            (f"B4 x10 peak memory, {step} (MB)", measured.peak_memory_mb, None, "<= 4096 MB")
        )
    return rows


def main(skip_x10: bool) -> None:
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
    rows = Rows()

    def fresh(name: str) -> dict[str, str]:
        root = work / name
        return {"PLATFORM_DATA_DIR": str(root)}

    def reset(name: str, source: Path = landing_root):
        def prepare():
            root = work / name
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(source, root)

        return prepare

    def platform_backfills(prefix: str, source: Path = landing_root, instance: str = "sqlite"):
        """The platform's full-year backfill and its first load, on one of the instance files.

        The backfill's data root is prepared as the platform prepares it: its first landing
        run (reference tables, dbt views, the first day) has run, untimed.
        """
        reset_backfill = reset(f"{prefix}_platform", source)
        on_instance = {"BENCH_INSTANCE": instance}

        def after_first_day():
            reset_backfill()
            _setup(
                "backfill_platform.py", YEAR[0], YEAR[0],
                env=fresh(f"{prefix}_platform") | on_instance,
            )  # fmt: skip

        backfill = measure(
            [PYTHON, "bench/backfill_platform.py", *YEAR, "--daily"],
            env=fresh(f"{prefix}_platform") | on_instance,
            prepare=after_first_day,
        )
        first_load = measure(
            [PYTHON, "bench/backfill_platform.py", *YEAR],
            env=fresh(f"{prefix}_first") | on_instance,
            prepare=reset(f"{prefix}_first", source),
        )
        return backfill, first_load

    def duckdb_baseline(prefix: str, source: Path = landing_root):
        """The same load in plain DuckDB SQL, no Dagster and no dbt."""
        return measure(
            [PYTHON, "bench/backfill_baseline.py"],
            env=fresh(f"{prefix}_base"),
            prepare=reset(f"{prefix}_base", source),
        )

    platform_run, first_load = platform_backfills("b1")
    baseline_run = duckdb_baseline("b1")
    rows.append(
        ("B1 full-year backfill, ingest + dbt (s)", platform_run.wall_seconds,
         baseline_run.wall_seconds, "<= 30 s")
    )  # fmt: skip
    rows.append(
        ("B1 peak memory (MB)", platform_run.peak_memory_mb, baseline_run.peak_memory_mb, "")
    )
    rows.append(
        ("B1 first load: reference tables, dbt views and the year in one run (s)",
         first_load.wall_seconds, baseline_run.wall_seconds, "<= 60 s")
    )  # fmt: skip
    # the same first load without the feature store (feature views, their files, Feast)
    without_features = measure(
        [PYTHON, "bench/backfill_platform.py", *YEAR, "--without-features"],
        env=fresh("b1_without_features"),
        prepare=reset("b1_without_features"),
    )
    rows += [
        ("B1 first load without the feature store (s)", without_features.wall_seconds, None, ""),
        ("B1 first load: added by the feature store (s)",
         first_load.wall_seconds - without_features.wall_seconds, None, "<= 15 s"),
    ]  # fmt: skip
    if os.environ.get(PG_URL_VARIABLE):
        pg_run, pg_first_load = platform_backfills("b1pg", instance="postgres")
        rows.append(
            ("B1 on PostgreSQL storage: full-year backfill (s)", pg_run.wall_seconds,
             baseline_run.wall_seconds, "<= 30 s")
        )  # fmt: skip
        rows.append(
            ("B1 on PostgreSQL storage: first load (s)", pg_first_load.wall_seconds,
             baseline_run.wall_seconds, "<= 60 s")
        )  # fmt: skip

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

    # B9, B10: the feature store the year's backfill applied and materialized.
    asof, feast = map(float, _setup("feature_retrieval.py", env=fresh("b1_platform")).split())
    rows.append(("B9 point-in-time features, 90-day training set (s)", asof, feast, "<= 5 s"))
    p99, _ = map(float, _setup("online_lookup.py", env=fresh("b1_platform")).split())
    rows.append(("B10 online lookup of one flight, p99 (ms)", p99, None, "<= 10 ms"))

    # B3 and B2 serve both models from the year's feature table that B1 left behind.
    year_root = fresh("b1_platform")
    _setup("serve_models.py", *YEAR, env=year_root)
    monitoring = measure([PYTHON, "bench/monitor_range.py", *YEAR], env=year_root)
    scores_csv = work / "b3_baseline_scores.csv"
    # One run: the preset loop takes minutes, and it times itself (see its docstring).
    preset_loop = float(
        _setup("monitor_year_baseline.py", str(scores_csv), env=year_root).split()[-1]
    )
    # where B3's time goes: the Evidently snapshots (one per model-day) and the rest
    snapshots = json.loads((work / "b1_platform" / "reports" / "b3_snapshots.json").read_text())
    without = monitoring.wall_seconds - snapshots["seconds"]
    rows += [
        ("B3 monitoring, full year, both models, with snapshots (s)", monitoring.wall_seconds,
         None, "<= B3 without + 0.6 s per model-day"),
        ("B3 without the snapshots (s)", without, preset_loop, "<= 60 s and ratio <= 0.25"),
        ("B3 snapshots, per model-day (s)", snapshots["seconds"] / snapshots["snapshots"], None,
         "<= 0.6 s"),
    ]  # fmt: skip
    difference = _largest_score_difference(scores_csv, work / "b1_platform" / "warehouse.duckdb")
    rows.append(("B3 largest drift score difference vs the preset", difference, None, "<= 1e-9"))

    # Each run replaces its day, as a re-delivered day does: the day-360 warehouse holds the
    # whole year (an upper bound on history), the day-30 one only the 29 days before it.
    day_360 = measure([PYTHON, "bench/one_day.py", DAY_360], env=year_root)
    day_30_root = fresh("b2_day30")
    reset("b2_day30")()
    day_29 = (YEAR[0], "2013-01-29")
    for script in ("backfill_platform.py", "serve_models.py", "monitor_range.py"):
        _setup(script, *day_29, env=day_30_root)
    day_30 = measure([PYTHON, "bench/one_day.py", DAY_30], env=day_30_root)
    rows.append(("B2 one new day end to end, day 30 (s)", day_30.wall_seconds, None, "<= 20 s"))
    rows.append(
        ("B2 one new day end to end, day 360 (s)", day_360.wall_seconds, day_30.wall_seconds,
         "<= 20 s and <= 1.25 x day 30")
    )  # fmt: skip

    # B11: what the replayed year (loaded, both models served and monitored, day 360 run
    # again) leaves on disk, by folder. The Dagster home is a temporary one per benchmark
    # process, so it is not here.
    for folder, megabytes in _folder_sizes_mb(work / "b1_platform").items():
        rows.append((f"B11 data root after the year: {folder} (MB)", megabytes, None, ""))

    # B12: the prediction service over the year's champions and online store (it rewinds
    # the online store to 2013-07-15 and pushes that day's events)
    serving = json.loads(_setup("serve_latency.py", env=year_root).splitlines()[-1])
    floor_p99 = serving["floor_p99_ms"]
    rows += [
        ("B12 serving floor: predict one row + online lookup, p99 (ms)", floor_p99, None, ""),
        ("B12 one flight per request, p50 (ms)", serving["single_p50_ms"],
         serving["floor_p50_ms"], ""),
        ("B12 one flight per request, p99 (ms)", serving["single_p99_ms"], floor_p99,
         f"<= floor + 10 = {floor_p99 + 10:.1f} ms"),
        ("B12 100 flights per request, p99 (ms)", serving["batch_100_p99_ms"], None, "<= 100 ms"),
        ("B12 requests/s, one at a time, 1 worker", serving["single_sequential_rps"], None, ""),
        ("B12 requests/s, 4 clients, 1 worker", serving["rps_1_worker"], None, ""),
        ("B12 requests/s, 4 clients, 2 workers", serving["rps_2_workers"],
         serving["rps_1_worker"], ""),
    ]  # fmt: skip

    if not skip_x10:
        rows += _ten_times(work, landing_root, platform_backfills, duckdb_baseline, fresh)

    # B6 last: it adds a synthetic year of monitoring history to the year's warehouse.
    # B6 last: it adds a synthetic year of monitoring history to the year's warehouse.
    tick = _setup("sensor_tick.py", "delay_classifier", env=year_root).split()[-1]
    rows.append(("B6 retraining sensor tick, year of history (s)", float(tick), None, "<= 0.3 s"))

    bootstrap = _setup("bootstrap_interval.py", env={}).split()[-1]
    rows.append(
        ("B8 promotion gate day-block interval, 14 days (s)", float(bootstrap), None, "<= 5 s")
    )

    table = ["| id | figure | baseline | ratio | target |", "|---|---|---|---|---|"]
    for name, figure, baseline, target in rows:
        ratio = f"{figure / baseline:.2f}" if baseline else ""
        base = f"{baseline:.2f}" if baseline is not None else ""
        table.append(f"| {name} | {figure:.3g} | {base} | {ratio} | {target} |")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    skipped = " B4 (x10) was not run (`--skip-x10`)." if skip_x10 else ""
    header = f"{stamp}, {_machine()}; {RUNS_NOTE}{skipped}"
    text = f"# Benchmark results\n\n{header}\n\n" + "\n".join(table)
    print(text)
    (REPO / "bench" / "RESULTS.md").write_text(text + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(skip_x10="--skip-x10" in sys.argv[1:])
