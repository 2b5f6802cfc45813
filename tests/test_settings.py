"""The platform's settings: read from the environment once, with a clear error per variable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from platform_assets.definitions import build_definitions
from platform_assets.lib.settings import DEFAULT_MODELS_FILE, PlatformSettings


def test_the_defaults_are_the_demo_year_the_data_folder_and_the_shipped_models():
    settings = PlatformSettings.from_env({})
    assert (settings.partition_start, settings.partition_end) == (
        date(2013, 1, 1),
        date(2013, 12, 31),
    )
    assert settings.data_dir == Path("data").resolve()
    assert settings.models_file == DEFAULT_MODELS_FILE and DEFAULT_MODELS_FILE.exists()


def test_a_user_range_and_data_root_are_taken_as_given(tmp_path):
    environ = {
        "PLATFORM_DATA_DIR": str(tmp_path / "mine"),
        "PLATFORM_PARTITION_START": "2024-02-01",
        "PLATFORM_PARTITION_END": "2024-02-29",
    }
    settings = PlatformSettings.from_env(environ)
    assert settings.data_dir == tmp_path / "mine"
    assert (settings.partition_start, settings.partition_end) == (
        date(2024, 2, 1),
        date(2024, 2, 29),
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PLATFORM_PARTITION_START": "2013-13-01"}, "PLATFORM_PARTITION_START='2013-13-01'"),
        ({"PLATFORM_PARTITION_END": "tomorrow"}, "PLATFORM_PARTITION_END='tomorrow' is not a date"),
        (
            {"PLATFORM_PARTITION_START": "2013-06-01", "PLATFORM_PARTITION_END": "2013-05-31"},
            "PLATFORM_PARTITION_START 2013-06-01 is after PLATFORM_PARTITION_END 2013-05-31",
        ),
        ({"PLATFORM_LANDING_ATTEMPTS": "0"}, "PLATFORM_LANDING_ATTEMPTS='0' is not a whole"),
        ({"PLATFORM_LANDING_ATTEMPTS": "two"}, "PLATFORM_LANDING_ATTEMPTS='two' is not a whole"),
        (
            {"PLATFORM_SERVE_POLL_SECONDS": "600"},
            "PLATFORM_SERVE_POLL_SECONDS=.600. is not a number",
        ),
        (
            {"PLATFORM_SERVE_POLL_SECONDS": "soon"},
            "PLATFORM_SERVE_POLL_SECONDS=.soon. is not a number",
        ),
    ],
)
def test_a_bad_setting_names_the_variable(environ, message):
    with pytest.raises(ValueError, match=message):
        PlatformSettings.from_env(environ)


def test_the_definitions_take_the_range_when_they_are_built():
    """No module fixes the range at import: building again with other settings changes it."""
    settings = PlatformSettings.from_env(
        {"PLATFORM_PARTITION_START": "2013-03-01", "PLATFORM_PARTITION_END": "2013-03-10"}
    )
    graph = build_definitions(settings).resolve_asset_graph()
    daily = [graph.get(key).partitions_def for key in graph.get_all_asset_keys()]
    keys = {tuple(p.get_partition_keys()) for p in daily if p is not None}
    assert keys == {tuple(f"2013-03-{day:02d}" for day in range(1, 11))}
