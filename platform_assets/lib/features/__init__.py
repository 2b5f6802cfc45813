"""The feature store: feature views declared in dbt, retrieved as of a prediction time, in Feast."""
