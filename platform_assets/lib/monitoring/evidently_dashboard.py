"""Each model's dashboard in the Evidently UI, defined in code and written beside its project.

Its panels plot the numbers each day's snapshot holds (`evidently_workspace.py`), on the days
out of sample only: the drift share and prediction drift, the drift of the champion's most
important feature views, each metric against the serving version's held-out days, and the
serving version's number, whose steps are the days a promotion or a rollback changed it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from pathlib import Path

from platform_assets.lib.atomic_files import write_atomically
from platform_assets.lib.monitoring.evidently_workspace import (
    NAMESPACE,
    OUT_OF_SAMPLE,
    project_id,
    value_name,
)

WATCHED_FEATURES = 5  # the drift panel plots the champion's five most important views


def _series(name: str, legend: str):
    from evidently.sdk.models import PanelMetric

    return PanelMetric(
        legend=legend, metric="MeanValue", metric_labels={"column": name}, tags=[OUT_OF_SAMPLE]
    )


def dashboard_panels(
    model: str, metrics: Sequence[str], promotion_metric: str, watched: Sequence[str]
) -> list:
    """The model's dashboard, its days out of sample only: drift, prediction drift, the drift
    of the watched feature views, each metric against the serving version's held-out interval,
    and the serving version (a step is a promotion or a rollback)."""
    from evidently.sdk.panels import counter_panel, line_plot_panel, text_panel

    panels = [
        text_panel(
            f"{model}: daily monitoring",
            description="One point per monitored day after the serving version's training "
            "window (days inside it are kept, tagged in_sample, and not plotted). The held-out "
            "bounds hold the middle share of the serving version's daily metric on its "
            "held-out days (the share is its promotion confidence).",
        ),
        counter_panel(
            "Drift share, last day",
            values=[_series("drift_share", "drift share")],
            size="half",
            aggregation="last",
        ),
        counter_panel(
            f"{promotion_metric}, last day",
            values=[_series(promotion_metric, promotion_metric)],
            size="half",
            aggregation="last",
        ),
        line_plot_panel(
            "Feature drift share and prediction drift",
            values=[
                _series("drift_share", "share of features drifted"),
                _series("prediction_drift", "prediction drift (score)"),
            ],
        ),
        line_plot_panel(
            "Drift of the champion's most important features (a view's largest column score)",
            values=[_series(value_name("drift", name), name) for name in watched],
        ),
        *(
            line_plot_panel(
                f"{metric} against the serving version's held-out interval",
                values=[
                    _series(metric, metric),
                    _series(value_name(metric, "held_out_low"), "held-out low"),
                    _series(value_name(metric, "held_out_high"), "held-out high"),
                ],
                size="full" if metric == promotion_metric else "half",
            )
            for metric in metrics
        ),
        line_plot_panel(
            "Serving version (a step: the served version changed)",
            values=[_series("serving_version", "version number")],
        ),
    ]
    for panel in panels:  # ids fixed by the titles: a link to a panel holds across runs
        panel.id = uuid.uuid5(NAMESPACE, f"{model}/panel/{panel.title}")
    return panels


def write_dashboard(workspace: Path, model: str, panels: list) -> None:
    """Write the model's dashboard (one tab: Evidently's open-source UI shows one) where
    `Workspace.save_dashboard` writes it, atomically: the UI reads the file at each request.
    (Opening a `Workspace` to save it would cost more than the day's snapshot.)"""
    from evidently.legacy.utils import NumpyEncoder
    from evidently.sdk.models import DashboardModel, DashboardTabModel

    tab = DashboardTabModel(
        id=uuid.uuid5(NAMESPACE, f"{model}/tab"), title="Monitoring", panels=[p.id for p in panels]
    )
    dashboard = DashboardModel(tabs=[tab], panels=panels)
    path = workspace / str(project_id(model)) / "dashboard.json"
    write_atomically(path, json.dumps(dashboard.dict(), cls=NumpyEncoder).encode("utf-8"))
