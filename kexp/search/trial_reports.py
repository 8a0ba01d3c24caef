"""A trial's run reports its objective to its Optuna trial every epoch, and stops when pruned.

The sweeper gives each trial's run its trial number (``hparams_search.trial=N``);
the run opens the study's storage itself — in this process, a joblib worker or a
SLURM job alike — and after every epoch reports the objective as it stands
(the best validation accuracy so far, for ``objective=val_accuracy``) with the
epoch as the step. With ``hparams_search.pruner`` set, it then asks the pruner:
a pruned run stops after that epoch, is evaluated and saved like any other,
and ends with ``status: pruned``; the sweeper tells the study ``PRUNED``.
The intermediate values are also what optuna-dashboard draws as learning curves.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import keras
import pandas as pd

if TYPE_CHECKING:
    from kexp.config.run_settings import TrialSettings

log = logging.getLogger("kexp")


class ReportToTrial(keras.callbacks.Callback):
    """After each epoch: ``trial.report(objective so far, epoch)``; stop training when the pruner says so."""

    def __init__(self, trial, column: str, how: str, previous: pd.DataFrame | None = None, prune: bool = True) -> None:
        super().__init__()
        self.trial, self.column, self.how, self.prune = trial, column, how, prune
        self.pruned = False
        earlier = previous[column].dropna() if previous is not None and column in previous else pd.Series(dtype=float)
        self.best = (max if how == "max" else min)(earlier) if len(earlier) and how != "last" else None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Report this epoch's objective; prune if the pruner says the trial is lost."""
        value = (logs or {}).get(self.column)
        if value is None or not math.isfinite(float(value)):
            return
        value = float(value)
        if self.how != "last":
            self.best = value if self.best is None else (max if self.how == "max" else min)(self.best, value)
            value = self.best
        self.trial.report(value, step=epoch + 1)
        last = epoch + 1 >= int(self.params.get("epochs", 0) or 0)  # (a trial that trained every epoch completes)
        if self.prune and not last and self.trial.should_prune():
            self.pruned = True
            self.model.stop_training = True
            log.info("epoch %d: pruned by the search (%s %.4f so far)", epoch + 1, self.column, value)


def trial_callbacks(
    trial: TrialSettings | None, epochs: int, previous: pd.DataFrame | None = None
) -> list[keras.callbacks.Callback]:
    """``[ReportToTrial]`` for a run that is a trial of a search (of ``epochs`` epochs) and has a
    per-epoch objective; else []."""
    if trial is None:
        return []
    from kexp.search.settings import epoch_metric

    search = trial.search
    per_epoch = epoch_metric(search.objectives[0], search.task) if not search.several else None
    if per_epoch is None:
        return []
    return [ReportToTrial(open_trial(trial, epochs), *per_epoch, previous=previous, prune=search.prunes)]


def open_trial(trial: TrialSettings, epochs: int):
    """The run's trial of its study, with the configured pruner (public Optuna API only)."""
    import optuna

    from kexp.search.pruners import make_pruner
    from kexp.search.storage import open_storage

    storage = open_storage(trial.storage)
    pruner = make_pruner(trial.search.pruner, trial.search.pruner_options, int(epochs))
    study = optuna.load_study(study_name=trial.study_name, storage=storage, pruner=pruner)
    study_id = storage.get_study_id_from_name(study.study_name)
    return optuna.trial.Trial(study, storage.get_trial_id_from_study_id_trial_number(study_id, trial.number))
