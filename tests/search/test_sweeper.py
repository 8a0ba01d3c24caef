"""A shared, persistent Optuna study with real processes: concurrent searchers, a killed one resumed."""

import signal
import sqlite3

import pandas as pd
import yaml

from tests.conftest import TINY_CNN, run_kexp
from tests.training.test_trainer import start_kexp, wait_for_epochs

SEARCH = ["-m", "hparams_search=optuna", *TINY_CNN, "data.train_size=120", "data.test_size=40",
          "hydra.sweeper.params={optimizer.learning_rate: 'tag(log, interval(0.0001, 0.01))'}",
          "trainer.save_model=false", "hparams_search.storage=sqlite:///study.db"]


def stored_trials(db):
    """(number, state, sweep dir, learning rate) of every trial in the SQLite storage."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT t.number, t.state, a.value_json, p.param_value FROM trials t "
            "LEFT JOIN trial_user_attributes a ON a.trial_id = t.trial_id AND a.key = 'kexp' "
            "LEFT JOIN trial_params p ON p.trial_id = t.trial_id AND p.param_name = 'optimizer.learning_rate' ORDER BY t.number").fetchall()
    return pd.DataFrame(rows, columns=["number", "state", "sweep_dir", "learning_rate"])


def test_two_concurrent_searchers_share_one_study_and_a_rerun_continues_it(tmp_path):
    """Two processes, 2 trials each, on one SQLite study: 4 distinct trials, one study-wide summary;
    the same command again adds its trials to the study instead of starting over."""
    args = [*SEARCH, "hydra.sweeper.n_trials=2", "trainer.epochs=1"]
    first = start_kexp([*args, "hydra.sweep.dir=a"], tmp_path)
    second = start_kexp([*args, "hydra.sweep.dir=b"], tmp_path)
    for process in (first, second):
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
    trials = stored_trials(tmp_path / "study.db")
    assert trials["number"].tolist() == [0, 1, 2, 3]
    assert (trials["state"] == "COMPLETE").all()
    assert trials["learning_rate"].nunique() == 4  # per-trial seeds: no trial proposed twice
    places = trials["sweep_dir"].map(lambda text: yaml.safe_load(text)["sweep_dir"])
    assert sorted(places.value_counts().tolist()) == [2, 2]
    # whichever searcher ended last lists all four trials, and its comparison covers both dirs
    last = next(d for d in "ab" if (pd.read_csv(tmp_path / d / "study.csv")["state"] == "COMPLETE").sum() == 4)
    study = pd.read_csv(tmp_path / last / "study.csv")
    assert study["trial"].tolist() == [0, 1, 2, 3] and set(study["job"]) == {0, 1}
    assert {str(tmp_path / d) for d in "ab"} == set(study["sweep_dir"])
    summary = pd.read_csv(tmp_path / last / "summary.csv")
    assert len(summary) == 4 and (summary["status"] == "ok").all()
    results = yaml.safe_load((tmp_path / last / "optimization_results.yaml").read_text())
    assert results["study_name"] == "cnn-adam-digits"
    assert results["best_value"] == study["value"].max() == summary["best_val_accuracy"].max()

    again = run_kexp([*args, "hydra.sweeper.n_trials=1", "hydra.sweep.dir=c"], tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Optuna study cnn-adam-digits in sqlite:///study.db (4 trials so far)" in again.stdout + again.stderr
    assert stored_trials(tmp_path / "study.db")["number"].tolist() == [0, 1, 2, 3, 4]


def test_a_killed_search_rerun_into_its_directory_finishes_its_trials(tmp_path):
    """SIGKILL while trial 1 trains; the rerun resumes that trial in its own run directory (after
    the epochs it had backed up) and then runs the third: 3 trials, each once."""
    args = [*SEARCH, "hydra.sweeper.n_trials=3", "trainer.epochs=20", "hydra.sweep.dir=sweep"]
    process = start_kexp(args, tmp_path)
    wait_for_epochs(tmp_path / "sweep" / "1" / "history.csv", 2, process)  # epoch 1 backed up
    process.send_signal(signal.SIGKILL)
    process.communicate()
    killed = stored_trials(tmp_path / "study.db")
    assert killed["state"].tolist() == ["COMPLETE", "RUNNING"]

    rerun = run_kexp(args, tmp_path)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "resuming trial 1 (job 1)" in rerun.stdout + rerun.stderr
    trials = stored_trials(tmp_path / "study.db")
    assert trials["number"].tolist() == [0, 1, 2] and (trials["state"] == "COMPLETE").all()
    assert trials["learning_rate"].tolist()[:2] == killed["learning_rate"].tolist()
    log = (tmp_path / "sweep" / "1" / "kexp.log").read_text()
    assert "resuming after epoch" in log and log.count("epoch 20/20") == 1
    assert pd.read_csv(tmp_path / "sweep" / "1" / "history.csv")["epoch"].tolist() == list(range(1, 21))
    summary = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert len(summary) == 3 and (summary["status"] == "ok").all()
    assert not (tmp_path / "sweep" / "3").exists()
