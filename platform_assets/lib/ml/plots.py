"""Small charts for asset metadata: each function returns markdown with an embedded PNG.

The Dagster UI renders `![title](data:image/png;base64,...)` in markdown metadata, as Dagster's
own tutorial does for plots, so a chart needs no file or server. Figures are small (about
5x3.5 in at 80 dpi) to keep each one to a few tens of kilobytes. matplotlib and scikit-learn are
imported inside the functions so that loading the platform's definitions stays light; the
figures are drawn with `matplotlib.figure.Figure`, which needs no pyplot or GUI backend.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PANEL_SIZE_INCHES = (5.0, 3.5)
DPI = 80


def _new_figure(panels: int = 1) -> Figure:
    """An empty figure wide enough for `panels` side-by-side charts."""
    from matplotlib.figure import Figure

    width, height = PANEL_SIZE_INCHES
    return Figure(figsize=(width * (1 + 0.6 * (panels - 1)), height), dpi=DPI, layout="constrained")


def _figure_markdown(figure: Figure, title: str) -> str:
    """The figure as a PNG embedded in markdown through a data URI."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt_text = title.replace("[", "(").replace("]", ")")
    return f"![{alt_text}](data:image/png;base64,{encoded})"


def roc_curve_markdown(y_true: ArrayLike, scores: ArrayLike, title: str) -> str:
    """ROC curve with its AUC: how well the scores rank positives above negatives."""
    from sklearn.metrics import roc_auc_score, roc_curve

    false_positive_rate, true_positive_rate, _ = roc_curve(y_true, scores)
    auc = roc_auc_score(y_true, scores)
    figure = _new_figure()
    axes = figure.subplots()
    axes.plot(false_positive_rate, true_positive_rate, label=f"model (AUC {auc:.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    axes.legend(loc="lower right")
    return _figure_markdown(figure, title)


def calibration_markdown(
    y_true: ArrayLike, probabilities: ArrayLike, title: str, bins: int = 10
) -> str:
    """Reliability diagram: whether a predicted probability of p happens p of the time."""
    from sklearn.calibration import calibration_curve

    observed_frequency, mean_predicted = calibration_curve(
        y_true, probabilities, n_bins=bins, strategy="uniform"
    )
    figure = _new_figure()
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    axes.plot(mean_predicted, observed_frequency, marker="o", label="model")
    axes.set(
        xlabel="mean predicted probability",
        ylabel="observed frequency",
        xlim=(0, 1),
        ylim=(0, 1),
        title=title,
    )
    axes.legend(loc="upper left")
    return _figure_markdown(figure, title)


def residuals_markdown(y_true: ArrayLike, predictions: ArrayLike, title: str) -> str:
    """Residuals against predictions and their histogram: bias and spread of a regressor."""
    predicted = np.asarray(predictions, dtype=float)
    residuals = np.asarray(y_true, dtype=float) - predicted
    figure = _new_figure(panels=2)
    scatter_axes, histogram_axes = figure.subplots(1, 2)
    scatter_axes.scatter(predicted, residuals, s=3, linewidths=0)
    scatter_axes.axhline(0, color="grey", linestyle="--")
    scatter_axes.set(xlabel="predicted", ylabel="residual (actual - predicted)")
    histogram_axes.hist(residuals, bins=50)
    histogram_axes.axvline(0, color="grey", linestyle="--")
    histogram_axes.set(xlabel="residual", ylabel="rows")
    figure.suptitle(title)
    return _figure_markdown(figure, title)


def time_series_markdown(
    dates: Sequence, series: dict[str, Sequence[float]], title: str, y_label: str
) -> str:
    """Several named lines over days, e.g. drift share or performance over recent days."""
    figure = _new_figure()
    axes = figure.subplots()
    for name, values in series.items():
        axes.plot(list(dates), list(values), marker="o", markersize=3, label=name)
    axes.set(ylabel=y_label, title=title)
    axes.legend(loc="best")
    figure.autofmt_xdate()
    return _figure_markdown(figure, title)
