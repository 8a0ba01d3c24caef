"""The summary table of a set of runs: one row per job, ranked, mean ± std over seeds."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from kexp.reporting.compare.runs import Run
from kexp.runs.record import ALIASES, RunRecord, metric_column, objective_metric, smaller_is_better

SEED = "seed"
RESULT_COLUMNS = [
    "status",
    "epochs",
    "best_val_accuracy",
    "final_val_accuracy",
    "best_val_loss",
    "final_val_loss",
    "test_accuracy",
    "test_loss",
    "final_loss",
    "parameters",
    "macs",
    "train_seconds",
]
NUMERIC = RESULT_COLUMNS[1:]
_FROM_HISTORY = ("epochs", "final_loss", "best_val_accuracy", "final_val_accuracy", "best_val_loss", "final_val_loss")


def swept_keys(runs: list[Run]) -> list[str]:
    """Override keys whose value differs between the runs, in first-seen order.

    A run that did not give a key has its default (:meth:`Run.setting`): ``model=cnn`` given in
    one run and left to the default in another is no difference.
    """
    keys: dict[str, None] = {}
    for run in runs:
        keys.update(dict.fromkeys(run.overrides))
    differ = [k for k in keys if len({run.setting(k) for run in runs}) > 1]
    return sorted(differ, key=lambda k: "." in k)  # groups (model=...) before their keys


#: The one configuration of runs that differ in their seed only (or in nothing).
ALL_RUNS = "all runs"


def configuration_keys(keys: list[str]) -> list[str]:
    """The swept keys that define a configuration (all but the seed)."""
    return [k for k in keys if k != SEED]


def label(run: Run, keys: list[str]) -> str:
    """``key=value`` for each given key: the legend entry of a configuration."""
    shown = ((k, run.setting(k)) for k in keys)
    return ", ".join(f"{k}={value}" for k, value in shown if value != "-") or run.path.name


#: A decimal written with more digits than a person reads (a search's sampled values).
_LONG_DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d{6,}(?:e[-+]?\d+)?")


def short_numbers(text: str) -> str:
    """``text`` with its long decimals to 4 significant digits (``0.004043878009515107`` →
    ``0.004044``): a configuration named for people (the tables keep every digit)."""
    return _LONG_DECIMAL.sub(lambda m: f"{float(m.group()):.4g}", text)


def display_label(text: str) -> str:
    """``text`` (a configuration's label) as a figure shows it: :func:`short_numbers`, and ``$``
    kept literal (not matplotlib math)."""
    return short_numbers(text).replace("$", r"\$")


def summary_table(runs: list[Run]) -> pd.DataFrame:
    """One row per run: job, each swept key, status and results, error, directory."""
    keys = swept_keys(runs)
    root = Path(os.path.commonpath([r.path for r in runs])) if len(runs) > 1 else runs[0].path.parent
    rows = []
    for run in runs:
        row: dict[str, object] = {"job": str(run.path.relative_to(root)) if run.path != root else run.path.name}
        row.update({k: run.setting(k) for k in keys})
        row.update({c: run.metrics.get(c, np.nan) for c in RESULT_COLUMNS})
        row["status"] = run.status
        if run.status == "unfinished" or pd.isna(row["epochs"]):  # what its history shows so far
            so_far = RunRecord.from_history("", "", "", run.history).row()
            row.update({c: so_far[c] for c in _FROM_HISTORY})
        row["error"] = run.metrics.get("error", "") if isinstance(run.metrics.get("error"), str) else ""
        row["dir"] = str(run.path)
        rows.append(row)
    table = pd.DataFrame(rows)
    from kexp.reporting.compare.versions import differences, kexp_versions

    table.insert(table.columns.get_loc("error"), "kexp", kexp_versions(runs))
    table.insert(table.columns.get_loc("error"), "differs", differences(runs))
    return table


#: ``--metric auto``: what the runs optimised (:func:`auto_metric`).
AUTO = "auto"


def auto_metric(runs: list[Run]) -> str:
    """The metric the runs were trained for: their ``objective`` where they share one that is a
    result column (the first of several: ``[val_accuracy,parameters]``), else ``val_loss`` when every
    run is a regression, else ``val_accuracy`` (:func:`kexp.runs.record.objective_metric`)."""
    objectives = {run.setting("objective") for run in runs}
    tasks = {run.setting("task.name") for run in runs}
    task_default = objective_metric(AUTO, tasks.pop() if len(tasks) == 1 else "")
    objective = objectives.pop().strip("[]").split(",")[0].strip() if len(objectives) == 1 else AUTO
    return objective if metric_column(objective) in NUMERIC else task_default


def resolve_metric(metric: str, table: pd.DataFrame, runs: list[Run]) -> str:
    """The result column of the summary ``table`` (of ``runs``) to rank by: ``auto`` is
    :func:`auto_metric`; ``val_accuracy`` means the best validation accuracy. A setting (``seed``,
    ``optimizer``), another name, or a column no run has (``val_accuracy`` of regressions) is a
    ValueError."""
    if metric == AUTO:
        return metric_column(auto_metric(runs))
    column = metric_column(metric)
    if column not in NUMERIC or column not in table:
        allowed = ", ".join([AUTO, *ALIASES, *NUMERIC])
        raise ValueError(f"--metric {metric}: not a result column of the summary; use one of {allowed}")
    if not table[column].notna().any():
        present = [c for c in NUMERIC if c.startswith(("best_", "test_")) and table[c].notna().any()]
        raise ValueError(f"--metric {metric}: no run has {column}; they have {', '.join(present) or 'none'}")
    return column


def ranked(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows sorted best first by ``column`` (ascending for losses and seconds, descending otherwise)."""
    ascending = smaller_is_better(column)
    return table.sort_values(column, ascending=ascending, na_position="last", kind="stable")


def over_seeds(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame | None:
    """Mean and std per configuration of the runs that ended ok, when the runs differ in ``seed``.

    ``runs`` counts the ok runs behind each mean; ``not_ok`` the others.
    """
    if SEED not in keys:
        return None
    config = configuration_keys(keys) or ["_all"]
    ok = table["status"] == "ok"
    frame = table[NUMERIC].apply(pd.to_numeric, errors="coerce").where(ok, np.nan)
    frame[config] = table[config] if config != ["_all"] else "all"
    frame["_ok"] = ok
    grouped = frame.groupby(config, sort=False, dropna=False)
    stats = grouped[NUMERIC].agg(["mean", "std"])
    stats.columns = [f"{name}_{stat}" for name, stat in stats.columns]
    stats["runs"] = grouped["_ok"].sum()
    stats["not_ok"] = grouped.size() - stats["runs"]
    return without_uninformative(stats.reset_index().drop(columns=["_all"], errors="ignore"))


def without_uninformative(stats: pd.DataFrame) -> pd.DataFrame:
    """The seed table without columns that say nothing: a mean missing everywhere (with its std),
    a std that is 0 or missing everywhere (``parameters_std``: the seed does not change the model)."""
    drop = []
    for name in NUMERIC:
        mean, std = stats.get(f"{name}_mean"), stats.get(f"{name}_std")
        if mean is not None and mean.isna().all():
            drop += [f"{name}_mean", f"{name}_std"]
        elif std is not None and (std.fillna(0) == 0).all():
            drop.append(f"{name}_std")
    return stats.drop(columns=drop)


def to_markdown(table: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub-style Markdown table (pandas' ``to_markdown``, i.e. tabulate's pipe format): counts as
    integers, p-values to 3 significant digits, other floats with ``digits`` decimals, missing values
    empty, ``|`` inside a cell escaped."""
    from kexp.reporting.compare.report import COUNTS, PROBABILITIES, formatters

    escaped = table.map(lambda v: v.replace("|", "\\|") if isinstance(v, str) else v)
    cells = escaped.astype(object).where(table.notna(), None)
    for column, shown in formatters(table).items():
        if str(column) in COUNTS + PROBABILITIES:
            cells[column] = [shown(v) if v == v else None for v in table[column]]  # type: ignore[operator]
    return cells.to_markdown(index=False, floatfmt=f".{digits}f", missingval="") + "\n"
