"""Two runs (or two configurations of a sweep) side by side: what differs and from which epoch.

Each side is a list of runs: one run directory, or the runs of a sweep that
share a configuration (their seeds). :func:`diff` returns the differences of
the resolved configs, of the provenance (``run.yaml``: git commit and dirty
state, package versions, backend, precision, devices), of every final metric
(with seeds on both sides: the difference's 95 % Welch interval), and the first
epoch whose validation scores separate beyond both sides' 95 % seed bands.
Nothing here imports Keras.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from kexp.config.errors import KexpError
from kexp.config.flat import leaves
from kexp.reporting.compare.runs import Run
from kexp.runs.layout import HYDRA_CONFIG

#: run.yaml facts compared (packages: each version)
PROVENANCE = ("backend", "precision", "devices", "python", "host")
#: metrics.csv columns compared
METRICS = (
    "best_val_accuracy",
    "final_val_accuracy",
    "best_val_loss",
    "test_accuracy",
    "test_loss",
    "parameters",
    "train_seconds",
    "epochs",
)


class DiffError(KexpError):
    """Two sides that cannot be compared (another task, no runs)."""

    kind = "diff"


@dataclass
class Diff:
    """The differences of side A and side B (each a list of runs)."""

    names: tuple[str, str]
    config: list[tuple[str, object, object]] = field(default_factory=list)
    provenance: list[tuple[str, object, object]] = field(default_factory=list)
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    separation: str = ""

    def as_dict(self) -> dict:
        """For ``--json``."""

        def rows(items):
            return [{"key": k, "a": _plain(a), "b": _plain(b)} for k, a, b in items]

        return {
            "a": self.names[0],
            "b": self.names[1],
            "config": rows(self.config),
            "provenance": rows(self.provenance),
            "metrics": self.metrics.replace({np.nan: None}).to_dict("records"),
            "separation": self.separation,
        }

    def markdown(self) -> str:
        """For the terminal (and the HTML page's text)."""
        lines = [f"# {self.names[0]}  vs  {self.names[1]}", ""]
        for title, items in (("Config", self.config), ("Provenance", self.provenance)):
            lines.append(f"## {title}: {len(items)} difference{'s' if len(items) != 1 else ''}")
            lines += [f"- `{k}`: {a} → {b}" for k, a, b in items] or ["- (none)"]
            lines.append("")
        lines += [
            "## Metrics",
            "",
            readable(self.metrics).to_markdown(
                index=False, disable_numparse=True, colalign=("left",) + ("right",) * (len(self.metrics.columns) - 1)
            )
            if len(self.metrics)
            else "",
            "",
            f"## Curves: {self.separation}",
        ]
        return "\n".join(lines) + "\n"


def readable(metrics: pd.DataFrame) -> pd.DataFrame:
    """The metric table as text: a row of whole numbers (parameters, epochs) without decimals and
    with thousands separators, the rest to 4 decimals, no value (an interval of one seed) as —."""
    numbers = metrics.select_dtypes("number").columns

    def row_text(row: pd.Series) -> pd.Series:
        values = row[numbers].dropna()
        whole = len(values) > 0 and all(float(v).is_integer() for v in values) and abs(values).max() >= 2
        shown = row.copy().astype(object)
        for column in numbers:
            value = row[column]
            shown[column] = "—" if pd.isna(value) else f"{value:,.0f}" if whole else f"{value:.4f}"
        return shown

    return metrics.apply(row_text, axis=1)


def _plain(value: object) -> object:
    return value if isinstance(value, (str, int, float, bool, type(None), list)) else str(value)


def _config(run: Run) -> dict[str, object]:
    path = run.path / HYDRA_CONFIG
    return leaves(yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def _facts(run: Run) -> dict[str, object]:
    facts = {k: run.provenance.get(k) for k in PROVENANCE}
    git = run.provenance.get("git") or {}
    facts.update({"git.commit": git.get("commit"), "git.dirty": git.get("dirty")})
    facts.update({f"packages.{k}": v for k, v in (run.provenance.get("packages") or {}).items()})
    return facts


def _changed(
    a: dict[str, object], b: dict[str, object], skip: tuple[str, ...] = ()
) -> list[tuple[str, object, object]]:
    keys = [k for k in dict.fromkeys([*a, *b]) if not k.startswith(skip)]
    return [
        (k, a.get(k, "<absent>"), b.get(k, "<absent>")) for k in keys if a.get(k, "<absent>") != b.get(k, "<absent>")
    ]


def diff(a: list[Run], b: list[Run], names: tuple[str, str]) -> Diff:
    """The differences of the two sides (seeds within a side are not differences)."""
    if not a or not b:
        raise DiffError(f"{names[0] if not a else names[1]} — no finished kexp run there")
    config_a, config_b = _config(a[0]), _config(b[0])
    tasks = config_a.get("task.name"), config_b.get("task.name")
    if tasks[0] != tasks[1]:
        raise DiffError(
            f"{names[1]} — a task={tasks[1]} run; {names[0]} is task={tasks[0]}: their metrics do not compare"
        )
    result = Diff(names)
    # (with seeds on a side the seed is not a difference of the configurations)
    result.config = _changed(config_a, config_b, skip=("seed", "name") if len(a) > 1 or len(b) > 1 else ("name",))
    result.provenance = _changed(_facts(a[0]), _facts(b[0]))
    result.metrics = metric_table(a, b)
    result.separation = separation(a, b, epoch_metric([*a, *b]))
    return result


def epoch_metric(runs: list[Run]) -> str:
    """The history column the runs were trained for: their objective where it is one
    (``val_accuracy``, or ``val_loss`` for a regression), else the task's own."""
    from kexp.reporting.compare.table import auto_metric

    metric = auto_metric(runs)
    if all(metric in run.history for run in runs):
        return metric
    return "val_loss" if all(run.setting("task.name") == "regression" for run in runs) else "val_accuracy"


def metric_table(a: list[Run], b: list[Run]) -> pd.DataFrame:
    """Each metric's mean on both sides, B − A, and (seeds on both sides) its 95 % Welch interval."""
    from scipy import stats

    rows = []
    for metric in METRICS:
        va = np.array([float(r.metrics[metric]) for r in a if _number(r.metrics.get(metric))])  # type: ignore[arg-type]
        vb = np.array([float(r.metrics[metric]) for r in b if _number(r.metrics.get(metric))])  # type: ignore[arg-type]
        if not len(va) or not len(vb):
            continue
        row = {
            "metric": metric,
            "a": va.mean(),
            "b": vb.mean(),
            "b - a": vb.mean() - va.mean(),
            "ci_low": math.nan,
            "ci_high": math.nan,
            "seeds": f"{len(va)} / {len(vb)}",
        }
        if len(va) > 1 and len(vb) > 1 and (va.var(ddof=1) + vb.var(ddof=1)) > 0:
            interval = stats.ttest_ind(vb, va, equal_var=False).confidence_interval(0.95)
            row["ci_low"], row["ci_high"] = interval.low, interval.high
        rows.append(row)
    return pd.DataFrame(rows)


def _number(value: object) -> bool:
    return isinstance(value, (int, float, np.number)) and math.isfinite(float(value))


def separation(a: list[Run], b: list[Run], column: str = "val_accuracy") -> str:
    """The first epoch whose ``column`` 95 % seed bands do not overlap, in words."""
    from kexp.reporting.compare.plots import mean_and_std

    if len(a) < 2 or len(b) < 2:
        return "one run on a side: no seed band to tell when they separate (add seeds: seed=0,1,2,…)"
    band_a, band_b = (mean_and_std((r.history for r in side), column).set_index("epoch") for side in (a, b))
    common = band_a.index.intersection(band_b.index)
    if common.empty:
        return f"no epoch with {column} on both sides: nothing to tell when they separate"
    for epoch in common:
        lo_a, hi_a = (
            band_a.at[epoch, "mean"] - band_a.at[epoch, "ci"],
            band_a.at[epoch, "mean"] + band_a.at[epoch, "ci"],
        )
        lo_b, hi_b = (
            band_b.at[epoch, "mean"] - band_b.at[epoch, "ci"],
            band_b.at[epoch, "mean"] + band_b.at[epoch, "ci"],
        )
        if hi_a < lo_b or hi_b < lo_a:
            return f"{column} separates beyond both 95 % seed bands from epoch {int(epoch)} on"[:200]
    return f"{column} stays within the seed bands of each other in all {len(common)} epochs"


def curves_figure(a: list[Run], b: list[Run], names: tuple[str, str]):
    """Both sides' accuracy (a regression: MAE) curves on one figure (mean and band with seeds)."""
    from kexp.reporting.compare.plots import compare_figure

    # the side as the configuration (one colour per side), on copies: the callers' runs stay as read
    both = [
        replace(r, overrides={**r.overrides, "side": name})
        for side, name in ((a, names[0]), (b, names[1]))
        for r in side
    ]
    from kexp.reporting.compare import curve_metrics

    return compare_figure(both, ["side", "seed"], curve_metrics(both)[0], title=f"{names[0]} vs {names[1]}")


def side(path: Path, selection: str = "") -> list[Run]:
    """The runs of one side: a run directory, or the runs under a sweep whose settings match
    ``selection`` (``key=value,key=value``)."""
    from kexp.reporting.compare.runs import find_runs

    runs = find_runs([path])
    wanted = dict(item.split("=", 1) for item in selection.split(",") if "=" in item)
    chosen = [r for r in runs if all(r.setting(k) == v for k, v in wanted.items()) and r.metrics]
    check_seeds_only(chosen, f"{path}:{selection}" if selection else str(path))
    return chosen


def check_seeds_only(runs: list[Run], name: str) -> None:
    """DiffError unless ``runs`` differ in their seed alone (pooled as seeds of one configuration),
    naming the other keys that differ and their values."""
    from kexp.runs.directory import is_free

    configs = [_config(run) for run in runs]
    keys = dict.fromkeys(k for config in configs for k in config)
    differing = {
        key: sorted({str(config.get(key, "<absent>")) for config in configs})
        for key in keys
        if key not in ("seed", "name") and not is_free(key)
    }
    differing = {key: values for key, values in differing.items() if len(values) > 1}
    if differing:
        first = next(iter(differing))
        example = next(value for value in differing[first] if value != "<absent>")
        raise DiffError(
            f"{name} — its {len(runs)} runs differ in more than their seed ({_named(differing)}); "
            f"pool only seeds of one configuration, e.g. {name}{',' if ':' in name else ':'}{first}={example}"
        )


#: The most differing keys, values of a key and characters of a value that the error names: a
#: folder of many unrelated runs would otherwise give a line of thousands of characters.
NAMED_KEYS, NAMED_VALUES, VALUE_CHARACTERS = 3, 4, 40


def _named(differing: dict[str, list[str]]) -> str:
    """``key: value, value; key: …`` for the first keys and values of ``differing``, with how many more."""

    def short(value: str) -> str:
        half = VALUE_CHARACTERS // 2  # (both ends: paths often share their start)
        return value if len(value) <= VALUE_CHARACTERS else f"{value[:half]}…{value[-half:]}"

    named = []
    for key, values in list(differing.items())[:NAMED_KEYS]:
        more = f" and {len(values) - NAMED_VALUES} more" if len(values) > NAMED_VALUES else ""
        named.append(f"{key}: {', '.join(map(short, values[:NAMED_VALUES]))}{more}")
    more_keys = len(differing) - NAMED_KEYS
    return "; ".join(named) + (f"; and {more_keys} more keys" if more_keys > 0 else "")
