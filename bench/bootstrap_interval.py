"""B8: the promotion gate's day-block interval of a mean daily AUC difference, 14 days.

Prints the median seconds of three calls in one process (the first pays scikit-learn's
imports). The labels are real (the first 14 days of January 2013 arrivals); the two score
columns are fixed random numbers, since the interval's cost does not depend on how good the
scores are.
"""

import statistics
import time

import numpy as np
import pandas as pd

from platform_assets.lib.demo_data import package_data_dir
from platform_assets.lib.ml.daily_comparison import compare_daily

DAYS = 14

if __name__ == "__main__":
    flights = pd.read_csv(package_data_dir() / "flights.csv.zip", na_values="NA", nrows=30_000)
    arrived = flights[flights["arr_delay"].notna() & (flights["day"] <= DAYS)]
    labels = (arrived["arr_delay"] > 15).astype(int).to_numpy()
    random = np.random.default_rng(0)
    candidate, champion = random.random(len(labels)), random.random(len(labels))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        compare_daily("roc_auc", arrived["day"], labels, candidate, champion)
        timings.append(time.perf_counter() - started)
    print(f"{statistics.median(timings):.4f}")
