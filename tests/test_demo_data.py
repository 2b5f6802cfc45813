"""The replay writes the package's real year as daily landing files, idempotently."""

from __future__ import annotations

from datetime import date

from platform_assets.cli.main import main
from platform_assets.lib.demo_data import landing_is_empty, replay
from platform_assets.lib.raw_contract import FLIGHTS, WEATHER


def _data_lines(path) -> int:
    return len(path.read_text().splitlines()) - 1


def test_full_year_replay_has_every_flight_and_is_idempotent(data_paths):
    written = replay(data_paths.landing, date(2013, 1, 1), date(2013, 12, 31))
    assert written["flights"] == 365 and written["weather"] == 365
    flight_files = sorted((data_paths.landing / "flights").glob("*.csv"))
    assert len(flight_files) == 365
    assert sum(_data_lines(p) for p in flight_files) == 336_776
    assert _data_lines(data_paths.landing / "flights" / "2013-01-01.csv") == 842

    first_day = data_paths.landing / "flights" / "2013-01-01.csv"
    before = (first_day.stat().st_mtime_ns, first_day.read_bytes())
    again = replay(data_paths.landing, date(2013, 1, 1), date(2013, 12, 31))
    assert set(again.values()) == {0}
    assert (first_day.stat().st_mtime_ns, first_day.read_bytes()) == before


def test_files_keep_the_package_form_and_every_day_has_a_file(data_paths):
    replay(data_paths.landing, date(2013, 12, 30), date(2013, 12, 31))
    header, first = (data_paths.landing / "flights" / "2013-12-30.csv").read_text().splitlines()[:2]
    assert header == ",".join(FLIGHTS.columns)
    assert first.endswith("Z") and first.startswith("2013,12,30,")
    # The package's weather stops on 2013-12-30: the last day arrives as a header-only file.
    last_weather = (data_paths.landing / "weather" / "2013-12-31.csv").read_text()
    assert last_weather.splitlines() == [",".join(WEATHER.columns)]
    assert ",NA," in (data_paths.landing / "weather" / "2013-12-30.csv").read_text()


def test_cli_replays_only_into_an_empty_landing_zone(data_paths, capsys):
    assert landing_is_empty(data_paths.landing)
    assert main(["replay", "--start", "2013-02-01", "--end", "2013-02-02", "--if-empty"]) == 0
    assert sorted(p.name for p in (data_paths.landing / "flights").iterdir()) == [
        "2013-02-01.csv",
        "2013-02-02.csv",
    ]
    assert main(["replay", "--start", "2013-02-03", "--end", "2013-02-03", "--if-empty"]) == 0
    assert "nothing replayed" in capsys.readouterr().out
    assert not (data_paths.landing / "flights" / "2013-02-03.csv").exists()


def test_cli_refuses_a_backwards_range(data_paths, capsys):
    assert main(["replay", "--start", "2013-02-02", "--end", "2013-02-01"]) == 2
    assert "after its end" in capsys.readouterr().err
