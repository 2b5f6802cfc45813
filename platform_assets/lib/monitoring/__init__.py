"""Plain-Python monitoring: drift, performance and the retraining policy."""
