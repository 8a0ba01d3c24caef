"""The slide deck's plot: accuracy and loss per epoch, training blue, validation (or test) red.

Regression runs show their MAE where classification runs show accuracy; a
two-phase fine-tuning run (a ``phase`` column) marks where phase 2 starts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TRAIN_COLOR = "tab:blue"
VAL_COLOR = "tab:red"


def curves_figure(history: pd.DataFrame, title: str = "", val_label: str = "validation"):
    """Two panels (accuracy or MAE, loss) against epoch; returns the matplotlib Figure.

    ``val_label``: what the red curve is called — "test" when the run validated on its test
    split (``data.val_split=0``), as the slides call it."""

    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.5), layout="constrained")
    axes = fig.subplots(1, 2)
    score = "mae" if "mae" in history and "accuracy" not in history else "accuracy"
    for ax, metric in zip(axes, (score, "loss")):
        for column, color, label in ((metric, TRAIN_COLOR, "training"), (f"val_{metric}", VAL_COLOR, val_label)):
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


def save_curves(
    history: pd.DataFrame, path: Path, title: str = "", val_is_test: bool = False, style: str = "panels"
) -> None:
    """Write ``curves.png`` (atomically) from a history table; with ``style`` slides also the
    slides' own two figures beside it (:func:`slides_figures`)."""
    from kexp.runs.atomic import save_figure, save_figure_of

    val_label = "test" if val_is_test else "validation"
    save_figure_of(curves_figure, (history, title, val_label), path)
    if style == "slides":
        for name, figure in slides_figures(history, val_label).items():
            save_figure(figure, Path(path).with_name(f"{name}.png"))


def slides_figures(history: pd.DataFrame, val_label: str = "test") -> dict:
    """The slide deck's plots (002), one figure per metric: 10x7 inches, training ``b``, the other
    split ``r``, tick labels 18 pt, axis labels 20 pt, legend training / test (serif)."""
    from matplotlib.figure import Figure

    figures = {}
    score = "mae" if "mae" in history and "accuracy" not in history else "accuracy"
    for metric in (score, "loss"):
        fig = Figure(figsize=(10, 7), layout="constrained")
        ax = fig.subplots()
        # (the slides plot against the epoch index from 0, as plt.plot(list) does)
        ax.plot(history[metric].to_numpy(), color="b", label="training")
        if f"val_{metric}" in history:
            ax.plot(history[f"val_{metric}"].to_numpy(), color="r", label=val_label)
        ax.tick_params(labelsize=18)
        ax.set_ylabel(metric, fontsize=20)
        ax.set_xlabel("epoch", fontsize=20)
        ax.legend(loc="best", prop={"family": "serif"})
        figures[metric] = fig
    return figures
