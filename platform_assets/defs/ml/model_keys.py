"""Asset keys of a model's family: `ml/<model>/<stage>`.

The model name comes from `models.yaml`; renaming a model starts a new history.
"""

import dagster as dg

ML_GROUP = "ml"
TRAINING_SET = "training_set"
CANDIDATE = "candidate"
EVALUATION = "evaluation"
CHAMPION = "champion"
PREDICTIONS = "predictions"
SERVED_PREDICTIONS = "served_predictions"
SERVING_SKEW = "serving_skew"
PROMOTION_GATE = "promotion_gate"


def model_asset_key(model_name: str, stage: str) -> dg.AssetKey:
    return dg.AssetKey(["ml", model_name, stage])
