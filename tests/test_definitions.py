"""The asset graph a user sees: lineage, groups, checks, and a light definitions load."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg

from platform_assets.definitions import defs
from platform_assets.defs.transform.dbt_models import dbt_window_environment

FEATURES = dg.AssetKey(["marts", "flight_features"])


def test_raw_sources_are_upstream_of_the_training_set_through_the_feature_views():
    graph = defs.resolve_asset_graph()
    training_set = dg.AssetKey(["ml", "delay_classifier", "training_set"])
    assert dg.AssetKey(["features", "origin_live"]) in graph.get(training_set).parent_keys
    upstream = graph.get(training_set).parent_keys
    ancestors = set()
    frontier = set(upstream)
    while frontier:
        key = frontier.pop()
        ancestors.add(key)
        frontier |= set(graph.get(key).parent_keys) - ancestors
    for table in ("flights", "weather", "planes", "airports"):
        assert dg.AssetKey(["raw", table]) in ancestors


def test_assets_are_grouped_by_stage_and_carry_kinds_and_descriptions():
    graph = defs.resolve_asset_graph()
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups[dg.AssetKey(["raw", "flights"])] == "ingest"
    assert groups[dg.AssetKey(["staging", "stg_flights"])] == "staging"
    assert groups[FEATURES] == "marts"
    assert groups[dg.AssetKey(["ml", "delay_classifier", "candidate"])] == "ml"
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key} has no description"
        assert node.kinds, f"{key} has no kinds"
        assert node.code_version, f"{key} has no code version"


def test_dbt_tests_are_asset_checks_including_our_own_generic_tests():
    check_names = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert any("no_outcome_columns" in name for name in check_names)
    assert any("weather_coverage" in name for name in check_names)
    assert any(name.startswith("unique_") for name in check_names)


def test_partitioned_dbt_runs_get_the_window_in_their_environment():
    assert dbt_window_environment([date(2013, 1, 1), date(2013, 1, 2), date(2013, 1, 3)]) == {
        "PLATFORM_MIN_DATE": "2013-01-01",
        "PLATFORM_MAX_DATE": "2013-01-03",
    }


def test_loading_the_definitions_imports_no_data_library():
    """The webserver, daemon and every sensor tick load the definitions: keep that cheap."""
    probe = (
        "import sys, platform_assets.definitions; print(sorted(m for m in "
        "('sklearn', 'evidently', 'pandas', 'numpy', 'matplotlib') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_dagster_validates_the_definitions():
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "definitions",
            "validate",
            "-w",
            "workspace.yaml",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
