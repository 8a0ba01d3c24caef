"""What a search writes beside its runs: importances (fANOVA) and the Pareto front."""

import optuna
import pandas as pd

from kexp.search.settings import SearchSettings
from kexp.search.study_files import parameter_importance, write_study_files


def study_where_only_x_matters(directions):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=directions, sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        x, z = trial.suggest_float("x", 0, 1), trial.suggest_float("z", 0, 1)
        study.tell(trial, [x] if len(directions) == 1 else [x, x])
    return study


def test_the_parameter_the_objective_depends_on_is_the_important_one(tmp_path):
    table = parameter_importance(study_where_only_x_matters(["maximize"]), ["val_accuracy"])
    importance = table.set_index("parameter")["val_accuracy"]
    assert importance["x"] > 0.9 > importance["z"] and abs(importance.sum() - 1) < 1e-9


def test_several_objectives_write_the_front_and_its_plot(tmp_path):
    study = study_where_only_x_matters(["maximize", "minimize"])
    settings = SearchSettings(objectives=["val_accuracy", "parameters"], directions=["maximize", "minimize"])
    write_study_files(study, tmp_path, settings)
    table = pd.read_csv(tmp_path / "study.csv")
    assert table["pareto"].all()  # maximise x and minimise x: every trial is on the front
    assert (tmp_path / "pareto.png").is_file() and (tmp_path / "importance.png").is_file()
    assert list(pd.read_csv(tmp_path / "importance.csv").columns) == ["parameter", "val_accuracy", "parameters"]
