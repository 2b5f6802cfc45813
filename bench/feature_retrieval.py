"""B9: a 90-day training set's features, point in time: the platform's DuckDB ASOF JOIN
against Feast's own `get_historical_features` (its DuckDB offline store, over the same
views' Parquet files), on a data root whose year is loaded and whose feature store is applied.

Prints `<asof seconds> <feast seconds>`: the ASOF figure is the median of three calls, Feast's
one call (it takes many times longer). Both in one process, after `import feast`.
"""

import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platform_assets.lib.features.catalog import FeatureCatalog  # noqa: E402
from platform_assets.lib.features.feast_repo import open_store  # noqa: E402
from platform_assets.lib.features.retrieval import read_feature_rows  # noqa: E402
from platform_assets.lib.ml.features import feature_table_roles, resolve_features  # noqa: E402
from platform_assets.lib.ml.spec import load_model_specs  # noqa: E402
from platform_assets.lib.paths import DataPaths  # noqa: E402
from platform_assets.lib.warehouse import connect  # noqa: E402

START, END, LEAD = date(2013, 6, 2), date(2013, 8, 30), 60

if __name__ == "__main__":
    paths = DataPaths.from_env()
    catalog = FeatureCatalog.from_manifest()
    spec = load_model_specs()["delay_classifier"]
    roles = feature_table_roles(Path("dbt_project/target/manifest.json"))
    columns = resolve_features(spec, roles, catalog)
    stored = [
        c
        for c in columns
        if (found := catalog.view_of_column(c)) and found[1] != found[0].age_feature
    ]
    store = open_store(paths.feast)
    with connect(paths.warehouse, read_only=True) as connection:
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            read_feature_rows(connection, columns, START, END, spec.target, LEAD, catalog)
            timings.append(time.perf_counter() - started)
        entities = connection.execute(
            "SELECT flight_id, origin, dest, carrier, flight_number, tailnum, scheduled_hour_id, "
            "scheduled_departure_utc - INTERVAL 60 MINUTE AS event_timestamp "
            "FROM marts.flight_features WHERE flight_date BETWEEN ? AND ?",
            [START, END],
        ).df()
    started = time.perf_counter()
    store.get_historical_features(
        entity_df=entities,
        features=[c.replace("__", ":", 1) for c in stored],
        full_feature_names=True,
    ).to_df()
    feast_seconds = time.perf_counter() - started
    print(f"{statistics.median(timings):.4f} {feast_seconds:.4f}")
