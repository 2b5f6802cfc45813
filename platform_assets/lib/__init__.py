"""Plain Python the Dagster wiring calls: no Dagster imports, unit-tested on its own."""
