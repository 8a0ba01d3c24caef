"""The confusion matrix of a classification run on its test split: ``confusion_matrix.csv`` and ``.png``.

Rows are the true classes, columns the predicted ones, both named by the
data's class names where it has them (folders, CSV values), else by number.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Above this many classes the cells are not annotated with their counts.
ANNOTATE_UP_TO = 20


def confusion_table(truth: np.ndarray, predicted: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Counts: rows true class, columns predicted class (scikit-learn's ``confusion_matrix``)."""
    from sklearn.metrics import confusion_matrix

    counts = confusion_matrix(truth, predicted, labels=np.arange(len(names)))
    return pd.DataFrame(counts, index=pd.Index(names, name="true"), columns=pd.Index(names, name="predicted"))


def confusion_figure(table: pd.DataFrame, title: str = ""):
    """The table as a heat map of row-normalised rates, annotated with counts for few classes."""
    from matplotlib.figure import Figure

    count = len(table)
    side = min(4 + 0.45 * count, 16)
    fig = Figure(figsize=(side + 1.5, side), layout="constrained")
    ax = fig.subplots()
    totals = table.to_numpy().sum(axis=1, keepdims=True)
    rates = table.to_numpy() / np.maximum(totals, 1)
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="fraction of the true class")
    if count <= 30:
        ax.set_xticks(range(count), [str(n) for n in table.columns], rotation=45, ha="right")
        ax.set_yticks(range(count), [str(n) for n in table.index])
    if count <= ANNOTATE_UP_TO:
        for (row, column), value in np.ndenumerate(table.to_numpy()):
            ax.text(
                column,
                row,
                str(value),
                ha="center",
                va="center",
                fontsize=9,
                color="white" if rates[row, column] > 0.5 else "black",
            )
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or "confusion matrix (test split)")
    return fig


def save_confusion(table: pd.DataFrame, run_dir: Path, title: str = "") -> None:
    """Write ``confusion_matrix.csv`` and ``confusion_matrix.png`` into ``run_dir`` (atomically)."""
    from kexp.runs.atomic import save_figure_of, write_csv
    from kexp.runs.layout import CONFUSION_CSV, CONFUSION_PNG

    write_csv(run_dir / CONFUSION_CSV, table.reset_index())
    save_figure_of(confusion_figure, (table, title), run_dir / CONFUSION_PNG)
