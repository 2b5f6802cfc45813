"""B3, platform side: monitoring of both models over a range of days, as one Dagster run.

Usage: monitor_range.py START END [MODEL ...] (default: every declared model; B3 monitors
the whole year).
"""

import sys

from serve_models import family, materialize, partition_range

from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.paths import DataPaths

if __name__ == "__main__":
    monitoring = [family(name)[name] for name in sys.argv[3:] or load_model_specs()]
    materialize(monitoring, DataPaths.from_env(), partition_range(*sys.argv[1:3]))
