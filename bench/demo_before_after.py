"""The demo year before and after the feature store: each shipped model's served days against
its `_before_features` twin's (bench/demo_before_features.yaml), from one `make demo` run.

Usage, after `PLATFORM_MODELS_FILE=bench/demo_before_features.yaml make demo`:

    PLATFORM_DATA_DIR=data/demo .venv/bin/python bench/demo_before_after.py

Prints a markdown table: per model, the mean daily metric of the serving version over the
days out of sample, April to December, for both twins, and the difference paired by day with
a 95 % week-block bootstrap interval (the backtest's `compare_policies`).
"""

import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from platform_assets.lib.ml.spec import load_model_specs  # noqa: E402
from platform_assets.lib.monitoring.backtest import compare_policies  # noqa: E402
from platform_assets.lib.monitoring.monitoring_store import daily_values  # noqa: E402
from platform_assets.lib.paths import DataPaths  # noqa: E402
from platform_assets.lib.warehouse import connect  # noqa: E402

TWIN = "_before_features"
SPAN = (date(2013, 4, 1), date(2013, 12, 31))

if __name__ == "__main__":
    specs = load_model_specs()
    print("| model | metric | days | feature store | before | difference (95 % interval) |")
    print("|---|---|---|---|---|---|")
    with connect(DataPaths.from_env().warehouse) as connection:  # (daily_values may create)
        for name, spec in specs.items():
            if name.endswith(TWIN) or name + TWIN not in specs:
                continue
            metric = spec.promotion.metric
            after, before = (
                SimpleNamespace(daily=daily_values(connection, "performance", model, metric))
                for model in (name, name + TWIN)
            )
            compared = compare_policies(after, before, between=SPAN)
            days = [d for d in after.daily if d in before.daily and SPAN[0] <= d <= SPAN[1]]
            mean_after = sum(after.daily[d] for d in days) / len(days)
            mean_before = sum(before.daily[d] for d in days) / len(days)
            print(
                f"| {name} | mean daily {metric} | {compared.days} | {mean_after:.4f} | "
                f"{mean_before:.4f} | {compared.difference:+.4f} "
                f"({compared.low:+.4f}, {compared.high:+.4f}) |"
            )
