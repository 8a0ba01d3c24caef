"""``study.csv``: every trial of an Optuna study (Optuna's own dataframe), with where it ran.

Columns: ``trial``, ``state`` (COMPLETE, PRUNED, FAIL, RUNNING, WAITING), the
objective (``value``; with several objectives ``values_<metric>`` each, and
``pareto``: on the Pareto front), each parameter by its key, ``epochs_reported``
(intermediate values: how far a pruned trial got), ``retries`` (the trial a
heartbeat retry repeats), start, end and duration in seconds, and kexp's
``sweep_dir``, ``job`` and ``run_dir``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kexp.runs.atomic import write_csv
from kexp.runs.layout import CONFIRM_FILE, STUDY_FILE

#: The trial user attribute kexp sets (:mod:`kexp.search.sweeper`): where the trial ran,
#: ``{sweep_dir, job, run_dir}`` — also ``study.csv``'s columns.
ATTRIBUTE = "kexp"
PLACES = ("sweep_dir", "job", "run_dir")


def study_frame(study) -> pd.DataFrame:
    """``study.csv``'s table of ``study`` (see the module's docstring)."""
    import optuna

    table = study.trials_dataframe(
        attrs=("number", "value", "datetime_start", "datetime_complete", "duration", "params", "user_attrs", "state")
    )
    if table.empty:
        return pd.DataFrame(columns=["trial", "state", *PLACES])
    table = table.rename(columns={"number": "trial"})
    table = table.rename(columns={c: c.removeprefix("params_") for c in table.columns if c.startswith("params_")})
    places = table.pop(f"user_attrs_{ATTRIBUTE}") if f"user_attrs_{ATTRIBUTE}" in table else None
    table = table.drop(columns=[c for c in table.columns if c.startswith("user_attrs_")])
    for column in PLACES:
        table[column] = [p.get(column) if isinstance(p, dict) else None for p in places] if places is not None else None
    table["job"] = table["job"].astype("Int64")
    trials = study.get_trials(deepcopy=False)
    table["epochs_reported"] = [len(t.intermediate_values) for t in trials]
    retried = optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number
    table["retries"] = pd.array([retried(t) for t in trials], dtype="Int64")
    if "duration" in table:
        table["duration"] = table["duration"].dt.total_seconds()
    if len(study.directions) > 1:
        front = {t.number for t in study.best_trials}
        table["pareto"] = table["trial"].isin(front)
    if len(study.directions) == 1:
        table = table.rename(columns={c: "value" for c in table.columns if c.startswith("value_")})
    first = ["trial", "state"]
    return table[first + [c for c in table.columns if c not in first]]


def write_study_table(study, path: Path) -> pd.DataFrame:
    """Write ``study.csv`` (atomically) and return its table."""
    from kexp.search.quiet import quiet_experimental

    with quiet_experimental():
        table = study_frame(study)
    write_csv(path, table)
    return table


def study_run_dirs(sweep_dir: Path) -> list[Path]:
    """The run directories of the study a search wrote ``study.csv`` for (those that exist), and of its
    confirmation runs; [] without a study."""
    path = Path(sweep_dir) / STUDY_FILE
    if not path.is_file():
        return []
    runs = list(pd.read_csv(path)["run_dir"].dropna())
    confirm = Path(sweep_dir) / CONFIRM_FILE
    if confirm.is_file():
        runs += list(pd.read_csv(confirm)["run_dir"].dropna())
    return [Path(p) for p in dict.fromkeys(runs) if Path(p).is_dir()]
