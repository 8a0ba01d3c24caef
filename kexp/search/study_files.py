"""What a search leaves in its sweep directory besides the runs.

- ``study.csv`` (:mod:`kexp.search.study_table`);
- ``optimization_results.yaml``: the best parameters and value (several objectives:
  the Pareto front's ``solutions``), as Hydra's Optuna sweeper wrote it;
- ``importance.csv`` and ``importance.png``: each parameter's importance for each
  objective (Optuna's ``get_param_importances``, fANOVA), once two trials finished;
- ``pareto.png`` with several objectives: every finished trial on the first two
  objectives, the Pareto front joined.

The comparison (:mod:`kexp.reporting.compare`) puts the PNGs and tables into ``report.html``.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf

from kexp.runs.atomic import save_figure, write_csv, write_text
from kexp.runs.layout import IMPORTANCE_CSV, IMPORTANCE_PNG, PARETO_PNG, RESULTS_FILE, STUDY_FILE
from kexp.search.quiet import quiet_experimental
from kexp.search.study_table import write_study_table

log = logging.getLogger("kexp")


def write_study_files(study, sweep_dir: Path, settings, finalists: pd.DataFrame | None = None) -> None:
    """Write every file above into ``sweep_dir`` (``finalists``: the confirmation's ranking, if any)."""
    from optuna.trial import TrialState

    write_study_table(study, sweep_dir / STUDY_FILE)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    results: dict[str, Any] = {"name": "optuna", "study_name": study.study_name}
    if len(study.directions) == 1 and complete:
        best = study.best_trial
        results.update(best_params=best.params, best_value=best.value)
        log.info("Best parameters: %s, value %s", best.params, best.value)
    elif complete:
        results["solutions"] = [{"params": t.params, "values": t.values} for t in study.best_trials]
        plot_pareto(study, settings.objectives, sweep_dir / PARETO_PNG)
    if finalists is not None and len(finalists):
        results["confirmed_best_params"] = finalists.iloc[0]["params"]
    write_text(sweep_dir / RESULTS_FILE, OmegaConf.to_yaml(OmegaConf.create(results)))
    importance = parameter_importance(study, settings.objectives)
    if importance is not None and len(importance):
        write_csv(sweep_dir / IMPORTANCE_CSV, importance)
        plot_importance(importance, sweep_dir / IMPORTANCE_PNG)


def parameter_importance(study, objectives: list[str]) -> pd.DataFrame | None:
    """One row per parameter, one importance column per objective (fANOVA, each column sums to 1);
    None while fewer than two trials finished or no parameter varied."""
    import optuna
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 2:
        return None
    columns = {}
    for index, name in enumerate(objectives):
        finite = [t for t in complete if math.isfinite(t.values[index])]
        if len(finite) < 2:
            continue
        try:
            with quiet_experimental():
                columns[name] = optuna.importance.get_param_importances(
                    study,
                    target=_objective(index),
                    evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0),
                )
        except (ValueError, RuntimeError) as err:  # (every parameter constant, one distinct value …)
            log.info("no parameter importance for %s: %s", name, err)
    columns = {name: values for name, values in columns.items() if values}  # (nothing varied across trials)
    if not columns:
        return None
    table = pd.DataFrame(columns).rename_axis("parameter").reset_index()
    return table.sort_values(objectives[0] if objectives[0] in table else table.columns[1], ascending=False)


def _objective(index: int):
    """The ``index``-th objective of a trial (NaN when infinite: a run that did not end ok)."""

    def value(trial) -> float:
        return trial.values[index] if math.isfinite(trial.values[index]) else math.nan

    return value


def plot_importance(table: pd.DataFrame, path: Path) -> None:
    """A horizontal bar per parameter (and objective)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 0.8 + 0.45 * len(table) * max(1, len(table.columns) - 1)))
    axes = figure.subplots()
    ordered = table.iloc[::-1]
    ordered.plot.barh(x="parameter", ax=axes, legend=len(table.columns) > 2)
    axes.set_xlabel("importance (fANOVA, sums to 1)")
    axes.set_ylabel("")
    axes.set_title("Parameter importance")
    figure.tight_layout()
    save_figure(figure, path)


def plot_pareto(study, objectives: list[str], path: Path) -> None:
    """Every finished trial on the first two objectives; the Pareto front's trials joined, labelled."""
    from matplotlib.figure import Figure
    from optuna.trial import TrialState

    trials = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if all(math.isfinite(v) for v in t.values[:2])
    ]
    front = sorted((t for t in study.best_trials if t in trials), key=lambda t: t.values[0])
    figure = Figure(figsize=(7, 5))
    axes = figure.subplots()
    axes.scatter([t.values[0] for t in trials], [t.values[1] for t in trials], c="#9aa", label="trials")
    axes.plot([t.values[0] for t in front], [t.values[1] for t in front], "o-", c="C3", label="Pareto front")
    for trial in front:
        axes.annotate(str(trial.number), (trial.values[0], trial.values[1]), textcoords="offset points", xytext=(4, 4))
    axes.set_xlabel(f"{objectives[0]} ({study.directions[0].name.lower()})")
    axes.set_ylabel(f"{objectives[1]} ({study.directions[1].name.lower()})")
    axes.set_title(f"Pareto front: {len(front)} of {len(trials)} trials")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    figure.tight_layout()
    save_figure(figure, path)
