"""The search's part of a comparison: what a sweep directory of ``hparams_search=optuna`` adds.

Read from the files the search wrote (:mod:`kexp.search.study_files`,
:mod:`kexp.search.confirm`), so ``python -m kexp.compare SWEEP_DIR`` shows the
same as the report written at the end of the search: the trials by state
(pruned ones with the epochs they got), the confirmation's ranking, the
parameter importances and the Pareto front.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from kexp.runs.layout import (
    CONFIRM_RANKING,
    IMPORTANCE_CSV,
    IMPORTANCE_PNG,
    PARETO_PNG,
    RACE_CSV,
    RACE_YAML,
    STUDY_FILE,
)


@dataclass
class StudySection:
    """Notes, images and tables a search adds to its comparison; empty for a plain sweep."""

    notes: list[str] = field(default_factory=list)
    images: list[tuple[str, Path]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    is_study: bool = False
    several: bool = False  # several objectives (a Pareto front: no "top K" to confirm)


def study_section(sweep_dir: Path) -> StudySection:
    """What ``sweep_dir``'s search files add (nothing when there is no ``study.csv``); a race's
    (``race.yaml``: :func:`race_section`)."""
    if (Path(sweep_dir) / RACE_YAML).is_file():
        return race_section(Path(sweep_dir))
    section = StudySection()
    study_csv = Path(sweep_dir) / STUDY_FILE
    if not study_csv.is_file():
        return section
    section.is_study = True
    study = pd.read_csv(study_csv)
    section.several = "pareto" in study
    counts = study["state"].value_counts()
    states = ", ".join(f"{counts[s]} {s.lower()}" for s in ("COMPLETE", "PRUNED", "FAIL", "RUNNING") if s in counts)
    line = f"Optuna study: {len(study)} trials ({states})"
    pruned = study[study["state"] == "PRUNED"]
    if len(pruned) and "epochs_reported" in study:
        done = study.loc[study["state"] == "COMPLETE", "epochs_reported"]
        line += (
            f"; pruned trials stopped after {pruned['epochs_reported'].mean():.1f} epochs on average "
            f"(completed ones: {done.mean():.1f})"
        )
    section.notes.append(line)
    ranking = Path(sweep_dir) / CONFIRM_RANKING
    if ranking.is_file():
        section.tables.append(
            ("Confirmation: the finalists with fresh seeds, their search score beside", pd.read_csv(ranking))
        )
    for heading, name in (("Parameter importance (fANOVA)", IMPORTANCE_PNG), ("Pareto front", PARETO_PNG)):
        if (Path(sweep_dir) / name).is_file():
            section.images.append((heading, Path(sweep_dir) / name))
    if (Path(sweep_dir) / IMPORTANCE_CSV).is_file():
        section.tables.append(("Parameter importance", pd.read_csv(Path(sweep_dir) / IMPORTANCE_CSV)))
    shown = [c for c in study.columns if c not in ("datetime_start", "datetime_complete", "sweep_dir", "run_dir")]
    section.tables.append(("Trials of the study", study[shown]))
    return section


def race_section(sweep_dir: Path) -> StudySection:
    """A race's part (``hydra/sweeper=race``, :mod:`kexp.race.run`): how it ended and with what
    confidence, the runs it took against the full grid, and each look's decisions."""
    race = yaml.safe_load((sweep_dir / RACE_YAML).read_text(encoding="utf-8"))
    saved = race["full_grid_runs"] - race["runs"]
    section = StudySection()
    section.notes += [
        f"Race: {race['verdict']} after {race['seeds']} seeds; {race['confidence']}.",
        f"It ran {race['runs']} of the full grid's {race['full_grid_runs']} runs ({saved} saved).",
    ]
    if (sweep_dir / RACE_CSV).is_file():
        section.tables.append(
            ("Race: each look, who led and who was dropped (and why)", pd.read_csv(sweep_dir / RACE_CSV))
        )
    return section
