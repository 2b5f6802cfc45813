"""B7: training the classifier on its default 90-day window (training set + candidate)."""

import sys

import dagster as dg
from platform_instance import platform_instance
from serve_models import family as model_family

from platform_assets.defs.resources import PlatformData
from platform_assets.lib.paths import DataPaths

if __name__ == "__main__":
    paths = DataPaths.from_env()
    family = model_family(sys.argv[1])
    with platform_instance() as instance:
        result = dg.materialize(
            [family["training_set"], family["candidate"]],
            instance=instance,
            resources={"platform_data": PlatformData(data_dir=str(paths.root))},
        )
    sys.exit(0 if result.success else 1)
