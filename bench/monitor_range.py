"""B3, platform side: monitoring of both models over a range of days, as one Dagster run.

Usage: monitor_range.py START END [MODEL ...] (default: every declared model; B3 monitors
the whole year). Writes where the time went (the Evidently snapshots' seconds, from the
runs' metadata, and how many were written) to `<data root>/reports/b3_snapshots.json`.
"""

import json
import sys

from serve_models import family, materialize, partition_range

from platform_assets.lib.ml.spec import load_model_specs
from platform_assets.lib.paths import DataPaths

SNAPSHOT_TIMES = "b3_snapshots.json"

if __name__ == "__main__":
    paths = DataPaths.from_env()
    monitoring = [family(name)[name] for name in sys.argv[3:] or load_model_specs()]
    result = materialize(monitoring, paths, partition_range(*sys.argv[1:3]))
    # a run over a range records its materialization once per day, with the same metadata
    runs = {
        event.asset_key: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }.values()
    paths.reports.mkdir(parents=True, exist_ok=True)
    (paths.reports / SNAPSHOT_TIMES).write_text(
        json.dumps(
            {
                "seconds": sum(m["snapshot_seconds"].value for m in runs),
                "snapshots": sum(m["snapshots_written"].value for m in runs),
            }
        )
    )
