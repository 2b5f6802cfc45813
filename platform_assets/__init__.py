"""An MLOps data platform on Dagster software-defined assets, dbt and DuckDB."""
