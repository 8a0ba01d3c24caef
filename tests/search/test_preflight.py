"""A search that cannot run as configured stops in one line before anything runs (nothing written)."""

import importlib.util

import optuna
import pytest

from tests.conftest import preflight_error

SEARCH = ["-m", "hparams_search=optuna", "hparams_search.storage=sqlite:///study.db"]


@pytest.mark.parametrize("args, line", [
    (["hparams_search.sampler=bayes"],
     "hparams_search.sampler=bayes — must be one of tpe, random, grid, cmaes, gp, nsga2"),
    (["hparams_search.pruner=early"],
     "hparams_search.pruner=early — must be one of none, median, percentile, successive_halving, hyperband"),
    (["hparams_search.pruner=median", "hparams_search.pruner_options={patience: 2}"],
     "hparams_search.pruner_options.patience=2 — an argument of median: interval_steps, n_min_trials, "
     "n_startup_trials, n_warmup_steps"),
    (["hparams_search.pruner=hyperband", "objective=test_accuracy"],
     "hparams_search.pruner=hyperband — needs an objective with a value every epoch; objective=test_accuracy "
     "is known only at the end"),
    (["hparams_search.pruner=median", "objective=[val_accuracy,parameters]"],
     "hparams_search.pruner=median — Optuna prunes single-objective studies only"),
    (["hparams_search.sampler=cmaes", "objective=[val_accuracy,parameters]"],
     "hparams_search.sampler=cmaes — takes one objective; with objective=[val_accuracy,parameters] use one of "
     "tpe, random, grid, nsga2"),
    (["objective=val_acc"], "objective=val_acc — a metric that a task=multiclass run records: auto, val_accuracy"),
    (["hparams_search.sampler=grid"],
     "hparams_search.sampler=grid — needs every parameter as choice(…) or range(…); an interval(…) has no grid"),
    (["hparams_search.budget.trials=0"], "hparams_search.budget.trials=0 — a positive whole number"),
    (["hparams_search.budget.minutes=-1"], "hparams_search.budget.minutes=-1 — a positive number"),
    (["hparams_search.confirm.top_k=30"],
     "hparams_search.confirm.top_k=30 — at most the 20 trials the study will have (hydra.sweeper.n_trials=20)"),
    (["hparams_search.confirm.top_k=2", "hparams_search.confirm.seeds=1"],
     "hparams_search.confirm.seeds=1 — at least 2 (an interval needs two seeds)"),
    # a traceback; 0 trials run and exit 0; one trial at a time (n_jobs was max(1, n_jobs))
    (["hydra.sweeper.n_trials=abc"], "hydra.sweeper.n_trials=abc — a positive whole number"),
    (["hydra.sweeper.n_trials=0"], "hydra.sweeper.n_trials=0 — a positive whole number"),
    (["hydra.sweeper.n_jobs=-1"], "hydra.sweeper.n_jobs=-1 — a positive whole number"),
    (["hydra.sweeper.max_failure_rate=2"],
     "hydra.sweeper.max_failure_rate=2 — the share of a batch's jobs that may fail, from 0 to 1"),
])
def test_a_search_that_cannot_work_is_one_line(tmp_path, monkeypatch, args, line):
    monkeypatch.chdir(tmp_path)
    error = preflight_error([*SEARCH, *args])
    assert error.startswith(f"kexp: config error: {line}"), error
    assert "\n" not in error


def test_a_budget_the_study_already_spent_is_one_line_but_a_rerun_into_its_directory_is_not(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = optuna.create_study(study_name="cnn-adam-digits", storage="sqlite:///study.db", direction="maximize")
    for number in range(3):
        trial = study.ask()
        trial.set_user_attr("kexp", {"sweep_dir": str(tmp_path / "a"), "job": number, "run_dir": "x"})
        study.tell(trial, 0.5)
    assert preflight_error([*SEARCH, "hparams_search.budget.trials=3"]).startswith(
        "kexp: config error: hparams_search.budget.trials=3 — more than the 3 trials the study already has")
    assert preflight_error([*SEARCH, "hparams_search.budget.trials=3", "hydra.sweep.dir=a"]) == ""
    assert preflight_error([*SEARCH, "hparams_search.budget.trials=4"]) == ""
    assert preflight_error([*SEARCH, "objective=[val_accuracy,parameters]"]).startswith(
        "kexp: config error: hparams_search.study_name=cnn-adam-digits — a study that optimises maximize, minimize "
        "(val_accuracy, parameters); this one in its storage optimises maximize: give a new study_name")


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="PyTorch is installed here")
def test_the_gp_sampler_without_pytorch_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert preflight_error([*SEARCH, "hparams_search.sampler=gp"]) == (
        "kexp: config error: hparams_search.sampler=gp — Optuna's GPSampler needs the package torch, "
        "not installed: pip install torch")
