"""The slide deck's plot: accuracy and loss per epoch, training blue, validation red.

Regression runs show their MAE where classification runs show accuracy; a
two-phase fine-tuning run (a ``phase`` column) marks where phase 2 starts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TRAIN_COLOR = "tab:blue"
VAL_COLOR = "tab:red"


def curves_figure(history: pd.DataFrame, title: str = ""):
    """Two panels (accuracy or MAE, loss) against epoch; returns the matplotlib Figure."""

    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.5), layout="constrained")
    axes = fig.subplots(1, 2)
    score = "mae" if "mae" in history and "accuracy" not in history else "accuracy"
    for ax, metric in zip(axes, (score, "loss")):
        for column, color, label in ((metric, TRAIN_COLOR, "training"), (f"val_{metric}", VAL_COLOR, "validation")):
            if column in history:
                ax.plot(history["epoch"], history[column], color=color, marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
        if len(history) and history["epoch"].max() <= 20:
            ax.set_xticks(history["epoch"])
        if "phase" in history and (history["phase"] == 2).any():  # kexp.training.fine_tune: the backbone unfrozen
            start = history.loc[history["phase"] == 2, "epoch"].min() - 0.5
            ax.axvline(start, color="gray", linestyle="--", linewidth=1)
            ax.annotate(
                "fine-tuning",
                (start, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                color="gray",
                fontsize=9,
            )
    if title:
        fig.suptitle(title)
    return fig


def save_curves(history: pd.DataFrame, path: Path, title: str = "") -> None:
    """Write ``curves.png`` (atomically) from a history table."""
    from kexp.runs.atomic import save_figure

    save_figure(curves_figure(history, title), path)
