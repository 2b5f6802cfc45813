"""Plain-Python machine learning: specs, training, evaluation and the model registry."""
