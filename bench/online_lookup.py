"""B10: one flight's features from the online store: `get_online_features` through the
classifier's feature service, p99 of 500 lookups of real flights (after 20 to warm up).

Prints `<p99 ms> <p50 ms>`.
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platform_assets.lib.features.feast_repo import open_store  # noqa: E402
from platform_assets.lib.paths import DataPaths  # noqa: E402
from platform_assets.lib.warehouse import connect  # noqa: E402

if __name__ == "__main__":
    paths = DataPaths.from_env()
    store = open_store(paths.feast)
    service = store.get_feature_service("delay_classifier")
    with connect(paths.warehouse, read_only=True) as connection:
        flights = connection.execute(
            "SELECT origin, dest, carrier, flight_number, tailnum, scheduled_hour_id "
            # Feast cannot look up a NULL key: flights without a tail number are left out
            "FROM marts.flight_features WHERE tailnum IS NOT NULL "
            "USING SAMPLE 520 ROWS (reservoir, 7)"
        ).df()
    timings = []
    for row in flights.to_dict("records"):
        row = {
            k: (int(v) if k in ("flight_number", "scheduled_hour_id") else v)
            for k, v in row.items()
        }
        started = time.perf_counter()
        store.get_online_features(
            features=service, entity_rows=[row], full_feature_names=True
        ).to_dict()
        timings.append((time.perf_counter() - started) * 1000)
    measured = np.array(timings[20:])
    print(f"{np.percentile(measured, 99):.3f} {np.percentile(measured, 50):.3f}")
