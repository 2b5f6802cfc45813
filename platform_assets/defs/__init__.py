"""Thin Dagster wiring, one folder per stage; `platform_assets.definitions` assembles it."""
