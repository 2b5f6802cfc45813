"""Setup for B2 and B3 (not timed): both models trained and promoted, predictions for a range.

Usage: serve_models.py START END [MODEL ...] (default: every declared model), on a data root
whose feature table covers START..END.
"""

import sys

import dagster as dg
from platform_instance import platform_instance

from platform_assets.defs.ml.model_family import build_model_family
from platform_assets.defs.partitions import build_daily_partitions
from platform_assets.defs.resources import PlatformData
from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.settings import PlatformSettings


def family(name: str) -> dict[str, dg.AssetsDefinition]:
    """One declared model's assets by step, on the settings' partitions."""
    partitions = build_daily_partitions(PlatformSettings.from_env())
    return {a.key.path[-1]: a for a in build_model_family(load_model_specs()[name], partitions)}


def partition_range(start: str, end: str) -> dict[str, str]:
    """The tags of a single run over a range of daily partitions."""
    return {
        "dagster/asset_partition_range_start": start,
        "dagster/asset_partition_range_end": end,
    }


def materialize(assets, paths: DataPaths, tags=None) -> dg.ExecuteInProcessResult:
    with platform_instance() as instance:
        result = dg.materialize(
            assets,
            instance=instance,
            resources={"platform_data": PlatformData(data_dir=str(paths.root))},
            tags=tags,
        )
    if not result.success:
        raise SystemExit(f"materializing {[a.key for a in assets]} failed")
    return result


if __name__ == "__main__":
    paths = DataPaths.from_env()
    for name in sys.argv[3:] or load_model_specs():
        assets = family(name)
        steps = ("training_set", "candidate", "evaluation", "champion")
        materialize([assets[step] for step in steps], paths)
        materialize([assets["predictions"]], paths, partition_range(*sys.argv[1:3]))
