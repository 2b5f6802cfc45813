"""B8: the model card's bootstrap interval of an AUC difference, 200 resamples of 15,000 rows.

Prints the median seconds of three calls in one process (the first pays scikit-learn's
imports). The labels are real (January 2013 arrivals); the two score columns are fixed
random numbers, since the interval's cost does not depend on how good the scores are.
"""

import statistics
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from platform_assets.lib.demo_data import package_data_dir
from platform_assets.lib.ml.model_card import bootstrap_metric_difference

ROWS = 15_000

if __name__ == "__main__":
    flights = pd.read_csv(package_data_dir() / "flights.csv.zip", na_values="NA", nrows=30_000)
    arrived = flights[flights["arr_delay"].notna()].head(ROWS)
    labels = (arrived["arr_delay"] > 15).astype(int).to_numpy()
    random = np.random.default_rng(0)
    candidate, champion = random.random(len(labels)), random.random(len(labels))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        bootstrap_metric_difference(labels, candidate, champion, roc_auc_score)
        timings.append(time.perf_counter() - started)
    print(f"{statistics.median(timings):.4f}")
