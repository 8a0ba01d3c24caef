"""``lr_find.png``: the smoothed loss of every range test against the learning rate (log axis)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def lr_find_figure(curves: pd.DataFrame, suggestions: list[float], suggestion: float, title: str = ""):
    """One line per repeat (smoothed loss against rate), each repeat's suggestion a dot, the suggestion a line."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    for (repeat, curve), own in zip(curves.groupby("repeat"), suggestions):
        seed = int(curve["seed"].iloc[0])
        (line,) = ax.plot(curve["learning_rate"], curve["smoothed_loss"], label=f"repeat {repeat} (seed {seed})")
        at = curve.iloc[(curve["learning_rate"] - own).abs().argmin()]
        ax.plot([at["learning_rate"]], [at["smoothed_loss"]], "o", color=line.get_color())
    ax.axvline(suggestion, color="black", linestyle="--", linewidth=1, label=f"suggestion {suggestion:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss (smoothed)")
    finite = curves["smoothed_loss"][curves["smoothed_loss"].abs() < float("inf")]
    if len(finite):  # the blow-up at the end would hide the shape of the curve
        low, first = finite.min(), curves.groupby("repeat")["smoothed_loss"].first().max()
        ax.set_ylim(low - 0.05 * abs(first - low), first + 0.25 * abs(first - low) + 1e-9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title(title or "learning-rate range test")
    return fig


def save_lr_find_plot(curves: pd.DataFrame, suggestions: list[float], suggestion: float, path: Path, title=""):
    """Write :func:`lr_find_figure` to ``path`` atomically."""
    from kexp.runs.atomic import save_figure

    save_figure(lr_find_figure(curves, suggestions, suggestion, title), path)
