"""The `platform-assets` command line: what a user runs outside Dagster.

Replay, the model registry, the headless demo year and the retraining backtest.
"""
