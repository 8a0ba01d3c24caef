"""``hparams_search.pruner`` by name: Optuna's pruners with their options; Hyperband's budget is the epochs."""

import optuna
import pytest

from kexp.config.errors import ConfigError
from kexp.search.pruners import PRUNERS, make_pruner


def test_each_pruner_by_name_with_its_options():
    kinds = {name: type(make_pruner(name, {}, 10)).__name__ for name in PRUNERS}
    assert kinds == {"none": "NopPruner", "median": "MedianPruner", "percentile": "PercentilePruner",
                     "successive_halving": "SuccessiveHalvingPruner", "hyperband": "HyperbandPruner"}
    assert make_pruner("median", {"n_warmup_steps": 3}, 10)._n_warmup_steps == 3
    with pytest.raises(ConfigError, match="hparams_search.pruner=early — must be one of none, median"):
        make_pruner("early", {}, 10)


def test_hyperband_spends_epochs_as_its_resource():
    """max_resource = trainer.epochs: weak trials are stopped before the last epoch, the best one runs
    through. (Hyperband may also prune at the last step; kexp's reporter never asks there.)"""
    pruner = make_pruner("hyperband", {"min_resource": 1, "reduction_factor": 3}, 9)
    assert pruner._max_resource == 9
    study = optuna.create_study(study_name="hb", direction="maximize", pruner=pruner)  # (brackets hash the name)
    stopped = []
    for quality in (0.9, 0.8, 0.1, 0.2, 0.05, 0.15):
        trial = study.ask()
        for epoch in range(1, 10):
            trial.report(quality * epoch / 9, epoch)
            if trial.should_prune():
                stopped.append(epoch)
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, quality)
    assert stopped and min(stopped) < 9  # weak trials stopped early
    assert study.trials[0].state == optuna.trial.TrialState.COMPLETE  # the best one ran through
