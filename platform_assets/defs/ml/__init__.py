"""Machine learning: a family of assets per declared model (train, evaluate, promote, predict)."""
