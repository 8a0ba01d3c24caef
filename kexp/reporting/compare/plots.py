"""Overlaid curves: one colour per configuration, training dashed, validation solid.

Runs that differ only in ``seed`` are one configuration: their mean curve is
drawn with its 95 % confidence band (Student t over the seeds: the interval of
:mod:`kexp.reporting.compare.statistics`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from kexp.reporting.compare.runs import Run
from kexp.reporting.compare.statistics import is_bounded
from kexp.reporting.compare.table import ALL_RUNS, configuration_keys, display_label, label


def configurations(runs: list[Run], keys: list[str]) -> dict[str, list[Run]]:
    """Runs grouped by their configuration label (all swept keys but the seed); runs that differ
    in their seed only are one configuration, :data:`ALL_RUNS`, as the statistics name it."""
    config_keys = configuration_keys(keys)
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(label(run, config_keys) if config_keys else ALL_RUNS, []).append(run)
    return groups


def mean_and_std(histories: Iterable[pd.DataFrame], column: str) -> pd.DataFrame:
    """Per-epoch mean, std and the half-width of the 95 % Student-t interval of the mean (``ci``: the
    band the comparison draws, the interval its statistics use) of ``column`` over the histories."""
    from scipy import stats as scipy_stats

    frames = [h[["epoch", column]] for h in histories if column in h and len(h)]
    if not frames:
        return pd.DataFrame(columns=["epoch", "mean", "std", "ci"])
    stacked = pd.concat(frames)
    table = stacked.groupby("epoch")[column].agg(["mean", "std", "count"]).reset_index()
    count = table["count"].to_numpy()
    seeds = np.maximum(count, 2)  # (an epoch no history has a value for counts 0: no band, no division by it)
    factor = np.where(count > 1, scipy_stats.t.ppf(0.975, seeds - 1) / np.sqrt(seeds), 0.0)
    table["ci"] = (table["std"].fillna(0.0) * factor).to_numpy()
    return table.drop(columns="count").fillna({"std": 0.0})


#: Seeds from which a configuration's curve gets its 95 % band: with 2 the t interval is ±12.7
#: standard deviations wide and would hide every curve under it.
BAND_SEEDS = 3


def seeds_note(count: int) -> str:
    """What a configuration's curve is, for its legend entry (nothing for one run)."""
    if count >= BAND_SEEDS:
        return f" (mean, 95 % CI of {count} seeds)"
    return f" (mean of {count} seeds)" if count > 1 else ""


#: Characters of legend text that fit across the figure (10 in at matplotlib's "small" font).
LEGEND_WIDTH = 140


def legend_layout(labels: list[str]) -> tuple[list[str], int, int]:
    """Labels wrapped to the figure's width, the legend's columns and its rows (it goes below the
    axes: outside the curves, never clipped)."""
    import textwrap

    wrapped = [textwrap.fill(text, LEGEND_WIDTH, break_long_words=True) for text in labels]
    widest = max((len(line) for text in wrapped for line in text.splitlines()), default=1)
    columns = max(1, min(len(labels), 4, LEGEND_WIDTH // (widest + 8)))
    rows = sum(text.count("\n") + 1 for text in wrapped) if columns == 1 else -(-len(labels) // columns)
    return wrapped, columns, rows


def compare_figure(runs: list[Run], keys: list[str], metric: str, title: str = ""):
    """One set of axes: ``metric`` and ``val_<metric>`` per configuration against epoch."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    groups = configurations(runs, keys)
    shown = best_configurations(groups, metric)
    seeds = {name: seeds_note(len(m)) for name, m in groups.items()}
    held_out = "test" if runs and all(_validates_on_test(r) for r in runs) else "validation"
    rest = len(groups) - len(shown)
    others = [f"{rest} other configurations (grey; all in summary.csv)"] if rest else []
    labels, columns, rows = legend_layout(
        [*(f"{display_label(n)}{seeds[n]}" for n in shown), *others, held_out, "training"]
    )
    fig = Figure(figsize=(10, 6 + 0.22 * rows), layout="constrained")
    ax = fig.subplots()
    colours = matplotlib.colormaps["tab10"]  # (at most MAX_NAMED = 10 in colour)
    log_scale = metric == "loss" and _all_positive(runs, metric)
    # on a log scale a band reaching below 0 is drawn down to the smallest value the runs had; an
    # accuracy's band stays inside [0, 1], as its intervals do (kexp.reporting.compare.statistics)
    floor = _smallest(runs, metric) if log_scale else 0.0 if is_bounded(metric) else -np.inf
    ceiling = 1.0 if is_bounded(metric) else np.inf
    named: list[tuple[int, Line2D]] = []
    order = [*(n for n in groups if n not in shown), *shown]  # (the grey ones first, under the others)
    for name in order:
        members = groups[name]
        index = shown.index(name) if name in shown else -1
        colour = colours(index % colours.N) if index >= 0 else (0.75, 0.75, 0.75, 0.6)
        for column, style in ((metric, "--"), (f"val_{metric}", "-")):
            stats = mean_and_std((r.history for r in members), column)
            if stats.empty:
                continue
            ax.plot(
                stats["epoch"],
                stats["mean"],
                style,
                color=colour,
                linewidth=1.6,
                marker="o" if len(stats) < 3 else None,
                markersize=4,
            )  # (a point is no line)
            if len(members) >= BAND_SEEDS and index >= 0:
                ax.fill_between(
                    stats["epoch"],
                    np.maximum(stats["mean"] - stats["ci"], floor),
                    np.minimum(stats["mean"] + stats["ci"], ceiling),
                    color=colour,
                    alpha=0.15,
                    linewidth=0,
                )
        if index >= 0:
            named.append((index, Line2D([], [], color=colour, label=labels[index])))
    handles = [handle for _, handle in sorted(named, key=lambda item: item[0])]
    if rest:
        handles.append(Line2D([], [], color=(0.75, 0.75, 0.75), label=labels[len(shown)]))
    handles += [
        Line2D([], [], color="grey", linestyle="-", label=held_out),
        Line2D([], [], color="grey", linestyle="--", label="training"),
    ]
    epochs = max((int(r.history["epoch"].max()) for r in runs if "epoch" in r.history and len(r.history)), default=1)
    if epochs <= 20:
        ax.set_xticks(range(1, epochs + 1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    fig.legend(handles=handles, loc="outside lower center", ncols=columns, fontsize="small")
    counted = (
        f"{len(runs)} run{'s' if len(runs) != 1 else ''}, {len(groups)} configuration{'s' if len(groups) != 1 else ''}"
    )
    ax.set_title(title or f"{metric}: {counted}")
    if log_scale:
        ax.set_yscale("log")
    return fig


#: Configurations drawn in colour and named in the legend; more are drawn grey, counted in one entry.
MAX_NAMED = 10


def best_configurations(groups: dict[str, list[Run]], metric: str) -> list[str]:
    """The configurations a figure names: all of them up to :data:`MAX_NAMED`, else the
    :data:`MAX_NAMED` best by their runs' best ``val_<metric>`` (lowest for a loss), best first."""
    if len(groups) <= MAX_NAMED:
        return list(groups)
    column, lowest = f"val_{metric}", metric.endswith("loss")

    def best(members: list[Run]) -> float:
        values = [float(v) for r in members if column in r.history for v in r.history[column] if v == v]
        if not values:
            return np.inf
        return min(values) if lowest else -max(values)

    return sorted(groups, key=lambda name: best(groups[name]))[:MAX_NAMED]


def _smallest(runs: list[Run], metric: str) -> float:
    """The smallest value of ``metric`` and ``val_<metric>`` in the runs' histories."""
    values = [r.history[c].min() for r in runs for c in (metric, f"val_{metric}") if c in r.history and len(r.history)]
    return float(min(values)) if values else -np.inf


def _validates_on_test(run: Run) -> bool:
    """Whether the run's validation curve is its test split (``data.val_split=0``)."""
    try:
        return float(run.setting("data.val_split")) == 0
    except ValueError:  # "-": the key is not in the run's config
        return False


def _all_positive(runs: list[Run], metric: str) -> bool:
    values = [r.history[c].to_numpy() for r in runs for c in (metric, f"val_{metric}") if c in r.history]
    return bool(values) and all(np.all(np.asarray(v)[np.isfinite(v)] > 0) for v in values)


def gradient_compare_figure(runs: list[Run], keys: list[str], title: str = ""):
    """The last epoch's gradient norm against depth, one line per configuration (log scale).

    Configurations run with several seeds show the mean over their runs.
    """
    import matplotlib
    from matplotlib.figure import Figure

    groups = configurations([r for r in runs if len(r.gradients)], keys)
    fig = Figure(figsize=(10, 6), layout="constrained")
    ax = fig.subplots()
    colours = matplotlib.colormaps["tab10" if len(groups) <= 10 else "tab20"]
    for index, (name, members) in enumerate(groups.items()):
        last = [r.gradients[r.gradients["epoch"] == r.gradients["epoch"].max()] for r in members]
        profile = pd.concat(last).groupby("depth")["grad_norm"].mean()
        epoch = int(max(r.gradients["epoch"].max() for r in members))
        ax.plot(
            profile.index,
            profile.to_numpy(),
            marker="o",
            markersize=2.5,
            linewidth=1.5,
            color=colours(index % colours.N),
            label=f"{name} (epoch {epoch})",
        )
    ax.set_yscale("log")
    ax.set_xlabel("depth (trainable kernel, input side = 0)")
    ax.set_ylabel("‖∂loss/∂kernel‖₂ on a fixed batch")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title or f"gradient flow after the last epoch: {len(groups)} configurations")
    return fig
