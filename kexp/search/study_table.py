"""``study.csv``: every trial of an Optuna study, with the sweep directory and run it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from kexp.runs.atomic import write_csv
from kexp.runs.layout import STUDY_FILE

#: The trial user attribute kexp sets (:mod:`kexp.search.sweeper`): where the trial ran,
#: ``{sweep_dir, job, run_dir}`` — also ``study.csv``'s columns.
ATTRIBUTE = "kexp"
PLACES = ("sweep_dir", "job", "run_dir")


def write_study_table(study, path: Path) -> pd.DataFrame:
    """``study.csv``: one row per trial of the study — number, state, value, params, where it ran."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {
            "trial": trial.number,
            "state": trial.state.name,
            "value": trial.value if len(study.directions) == 1 else trial.values,
        }
        place = trial.user_attrs.get(ATTRIBUTE, {})
        row.update({column: place.get(column) for column in PLACES})
        row.update(trial.params)
        rows.append(row)
    table = pd.DataFrame(rows)
    if "job" in table:  # (a trial asked by a searcher killed before it said where: no job)
        table["job"] = table["job"].astype("Int64")
    write_csv(path, table)
    return table


def study_run_dirs(sweep_dir: Path) -> list[Path]:
    """The run directories of the study a search wrote ``study.csv`` for (those that exist); [] without one."""
    path = Path(sweep_dir) / STUDY_FILE
    if not path.is_file():
        return []
    table = pd.read_csv(path)
    return [Path(p) for p in table["run_dir"].dropna() if Path(p).is_dir()]
