"""The seed statistics as one picture: a forest plot of each configuration's interval.

A row per configuration, the best at the top: its mean (a diamond), its 95 % interval (a bar),
its seeds (dots); the best labelled as such, the configurations not distinguishable from it
shaded, the rest plain. The numbers are :func:`kexp.reporting.compare.statistics.seed_statistics`'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kexp.reporting.compare.table import ALL_RUNS, display_label

#: At most this many rows (a search has a configuration per trial): the best ones.
MAX_ROWS = 30
#: Characters of a row's label per line (longer ones wrap: the plot keeps most of the width).
LABEL_WIDTH = 48


def forest_figure(stats: pd.DataFrame, table: pd.DataFrame, config_keys: list[str], column: str, method: str):
    """The forest plot of ``stats`` (best first), the seeds read from ``table`` (the summary)."""
    import textwrap

    from matplotlib.figure import Figure

    shown = stats.head(MAX_ROWS)
    names = [
        textwrap.fill(display_label(", ".join(f"{k}={entry[k]}" for k in config_keys) or ALL_RUNS), LABEL_WIDTH)
        for _, entry in shown.iterrows()
    ]
    lines = max((name.count("\n") + 1 for name in names), default=1)
    fig = Figure(figsize=(11, 1.2 + max(0.42, 0.17 * lines) * len(shown)), layout="constrained")
    ax = fig.subplots()
    ok = table[(table["status"] == "ok") & table[column].notna()]
    labels = []
    for row, (_, entry) in enumerate(shown.iterrows()):
        y = len(shown) - 1 - row
        name = names[row]
        tied = entry.get("tied") is True
        if tied:
            ax.axhspan(y - 0.45, y + 0.45, color="tab:green", alpha=0.10, linewidth=0)
        members = ok
        for key in config_keys:
            members = members[members[key].astype(str) == str(entry[key])]
        seeds = members[column].astype(float).to_numpy()
        jitter = np.linspace(-0.12, 0.12, len(seeds)) if len(seeds) > 1 else np.zeros(len(seeds))
        ax.scatter(seeds, y + jitter, s=12, color="0.45", zorder=2)
        if entry["ci_low"] == entry["ci_low"]:
            ax.hlines(y, entry["ci_low"], entry["ci_high"], color="tab:blue", linewidth=2.5, zorder=3)
        ax.scatter([entry["mean"]], [y], marker="D", s=40, color="tab:blue", zorder=4)
        labels.append(f"{name}  (best)" if row == 0 else name)
    ax.set_yticks(range(len(shown)), list(reversed(labels)), fontsize="small")
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.set_xlabel(column)
    ax.grid(axis="x", alpha=0.3)
    more = f"; the {MAX_ROWS} best of {len(stats)}" if len(stats) > len(shown) else ""
    fig.suptitle(
        f"{column} over seeds{more}\n◆ mean, bar: {method}, dots: seeds; shaded: not distinguishable from the best",
        fontsize="medium",
    )
    return fig
