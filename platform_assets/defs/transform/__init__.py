"""Transformation: the dbt project on DuckDB, from raw tables to the feature table."""
