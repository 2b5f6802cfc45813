"""B1, baseline: the same SQL with no Dagster and no dbt, in one plain DuckDB script.

Loads the landing files with the platform's own ingestion SQL, then runs dbt's compiled SQL
of each model (the views, then the feature views and the feature table as tables) straight
against DuckDB. The feature files and Feast's online store have no counterpart here: they are
what the platform adds on top of the same SQL.
"""

import sys
from datetime import date
from pathlib import Path

from platform_assets.lib.ingest import LandingFile, load_files
from platform_assets.lib.landing import REFERENCE_FOLDER
from platform_assets.lib.paths import DataPaths
from platform_assets.lib.raw_contract import DAILY_SOURCES, REFERENCE_SOURCES
from platform_assets.lib.warehouse import connect

COMPILED = Path(__file__).resolve().parents[1] / "dbt_project/target/compiled/platform/models"
VIEWS = [
    ("staging", name)
    for name in ("stg_flights", "stg_weather", "stg_planes", "stg_airports", "stg_airlines")
] + [("intermediate", "int_flight_times")]
FEATURE_VIEWS = sorted(path.stem for path in (COMPILED / "features").glob("*.sql"))
TABLES = [("features", name) for name in FEATURE_VIEWS] + [("marts", "flight_features")]
# in dependency order: the views first, then the tables built from them
MODELS = [(*model, "VIEW") for model in VIEWS] + [(*model, "TABLE") for model in TABLES]

if __name__ == "__main__":
    paths = DataPaths.from_env()
    with connect(paths.warehouse) as connection:
        for source in DAILY_SOURCES:
            files = [
                LandingFile(path, date.fromisoformat(path.stem))
                for path in sorted((paths.landing / source.name).glob("*.csv"))
            ]
            load_files(connection, source, files)
        for source in REFERENCE_SOURCES:
            reference = paths.landing / REFERENCE_FOLDER / f"{source.name}.csv"
            load_files(connection, source, [LandingFile(reference)])
        for schema, model, kind in MODELS:
            sql = (COMPILED / schema / f"{model}.sql").read_text()
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            connection.execute(f"CREATE OR REPLACE {kind} {schema}.{model} AS {sql}")
    sys.exit(0)
