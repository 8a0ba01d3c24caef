"""A shared, persistent Optuna study with real processes: concurrent searchers, a killed one resumed."""

import signal
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import TINY_CNN, kexp_in_process
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

    again = kexp_in_process([*args, "hydra.sweeper.n_trials=1", "hydra.sweep.dir=c"], tmp_path)
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

    rerun = kexp_in_process(args, tmp_path)
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


def test_a_pruned_search_then_its_finalists_confirmed(tmp_path):
    """pruner=percentile (99th: anything behind the best so far is stopped) on 5 trials of 4 epochs, then
    the 2 best again with 2 fresh seeds: pruned runs stop early with status pruned and keep their files,
    the study, summary and report say so, the confirmation ranks by the fresh seeds only; the same
    command again runs nothing and does not continue a pruned trial."""
    args = [*SEARCH, "hydra.sweeper.n_trials=5", "trainer.epochs=4", "hydra.sweep.dir=sweep",
            "hydra.sweeper.params={optimizer.learning_rate: 'tag(log, interval(0.00001, 0.1))'}",
            "hparams_search.pruner=percentile", "hparams_search.pruner_options={percentile: 99.0, n_startup_trials: 1}",
            "hparams_search.confirm.top_k=2", "hparams_search.confirm.seeds=2"]
    result = kexp_in_process(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    sweep = tmp_path / "sweep"
    study = pd.read_csv(sweep / "study.csv")
    assert study["trial"].tolist() == [0, 1, 2, 3, 4] and study["job"].tolist() == [0, 1, 2, 3, 4]
    pruned = study[study["state"] == "PRUNED"]
    assert len(pruned) >= 1 and set(study["state"]) <= {"COMPLETE", "PRUNED"}
    assert (pruned["epochs_reported"] < 4).all() and (study.loc[study["state"] == "COMPLETE", "epochs_reported"] == 4).all()
    for row in pruned.itertuples():  # a pruned run: stopped after the epoch it was told, everything written
        run = sweep / str(row.job)
        metrics = pd.read_csv(run / "metrics.csv").iloc[0]
        assert metrics["status"] == "pruned" and metrics["epochs"] == row.epochs_reported
        assert len(pd.read_csv(run / "history.csv")) == row.epochs_reported
        assert (run / "curves.png").is_file() and metrics["test_accuracy"] == metrics["test_accuracy"]
        assert row.value == pytest.approx(pd.read_csv(run / "history.csv")["val_accuracy"].max())
    with sqlite3.connect(tmp_path / "study.db") as connection:  # every epoch reported to its trial
        reported = connection.execute("SELECT COUNT(*) FROM trial_intermediate_values").fetchone()[0]
    assert reported == study["epochs_reported"].sum()

    summary = pd.read_csv(sweep / "summary.csv")
    assert len(summary) == 9 and (summary["status"] == "pruned").sum() == len(pruned)
    confirm = pd.read_csv(sweep / "confirm.csv")
    finalists = study[study["state"] == "COMPLETE"].sort_values("value", ascending=False)["trial"].head(2).tolist()
    assert confirm["trial"].tolist() == [finalists[0]] * 2 + [finalists[1]] * 2
    assert confirm["seed"].tolist() == [1, 2, 1, 2] and confirm["job"].tolist() == [5, 6, 7, 8]
    assert (confirm["status"] == "ok").all()
    ranking = pd.read_csv(sweep / "confirm_ranking.csv")
    means = confirm.groupby("trial")["value"].mean()
    assert set(ranking["trial"]) == set(finalists) and ranking["mean"].is_monotonic_decreasing
    assert ranking.set_index("trial")["mean"].to_dict() == pytest.approx(means.to_dict())
    values = study.set_index("trial")["value"]
    assert ranking["search_value"].tolist() == [values[t] for t in ranking["trial"]]
    assert ranking["drop"].tolist() == pytest.approx((ranking["search_value"] - ranking["mean"]).tolist())
    report = (sweep / "report.html").read_text()
    assert "Confirmation: the finalists with fresh seeds" in report and f"{len(pruned)} pruned" in report
    assert "Parameter importance" in report and (sweep / "importance.csv").is_file()

    again = kexp_in_process(args, tmp_path)  # everything done: no trial asked, no run continued
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(pd.read_csv(sweep / "study.csv")) == 5
    for row in pruned.itertuples():
        assert len(pd.read_csv(sweep / str(row.job) / "history.csv")) == row.epochs_reported


def test_several_objectives_give_a_pareto_front_and_a_budget_ends_the_search(tmp_path):
    """objective=[val_accuracy,parameters]: study.csv has both values (the parameters those of each run)
    and the non-dominated trials as its Pareto front; budget.trials stops at 3 of 6 trials."""
    args = [*SEARCH, "hydra.sweeper.n_trials=6", "trainer.epochs=1", "hydra.sweep.dir=sweep",
            "hydra.sweeper.params=null", "model.dense_units=choice([8],[16],[32],[64])",
            "objective=[val_accuracy,parameters]", "hparams_search.budget.trials=3",
            "hparams_search.sampler=nsga2"]
    result = kexp_in_process(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "budget: the study has 3 trials" in result.stdout + result.stderr
    sweep = tmp_path / "sweep"
    study = pd.read_csv(sweep / "study.csv")
    assert len(study) == 3 and (study["state"] == "COMPLETE").all()
    for row in study.itertuples():
        metrics = pd.read_csv(sweep / str(row.job) / "metrics.csv").iloc[0]
        assert row.values_parameters == metrics["parameters"]
        assert row.values_val_accuracy == pytest.approx(metrics["best_val_accuracy"])
    points = list(zip(study["values_val_accuracy"], study["values_parameters"]))

    def dominated(p):
        return any(q[0] >= p[0] and q[1] <= p[1] and q != p for q in points)

    assert study["pareto"].tolist() == [not dominated(p) for p in points]
    assert (sweep / "pareto.png").is_file() and "Pareto front" in (sweep / "report.html").read_text()
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert len(results["solutions"]) == study["pareto"].sum()


def test_a_dead_searchers_trial_is_failed_by_its_heartbeat_and_retried_by_another(tmp_path):
    """Searcher A is killed while trial 1 trains; its heartbeat (every 1 s) stops. Searcher B, started
    after the grace period, finds the trial stale: Optuna fails it and queues a retry, which B runs."""
    beats = ["hparams_search.heartbeat.interval=1", "hparams_search.heartbeat.grace_period=2"]
    args = [*SEARCH, *beats, "trainer.epochs=20"]
    process = start_kexp([*args, "hydra.sweeper.n_trials=2", "hydra.sweep.dir=a"], tmp_path)
    wait_for_epochs(tmp_path / "a" / "1" / "history.csv", 2, process)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    time.sleep(3.5)
    other = kexp_in_process([*args, "hydra.sweeper.n_trials=1", "hydra.sweep.dir=b"], tmp_path)
    assert other.returncode == 0, other.stderr[-3000:]
    assert "trial 2 retries trial 1" in other.stdout + other.stderr
    trials = stored_trials(tmp_path / "study.db")
    assert trials["state"].tolist() == ["COMPLETE", "FAIL", "COMPLETE"]
    assert trials["learning_rate"][2] == trials["learning_rate"][1]  # the same parameters, again
    study = pd.read_csv(tmp_path / "b" / "study.csv")
    assert study["retries"].tolist()[2] == 1 and study["run_dir"].tolist()[2] == str(tmp_path / "b" / "0")
    assert len(pd.read_csv(tmp_path / "b" / "0" / "history.csv")) == 20


def test_optuna_dashboard_reads_kexps_study(tmp_path):
    """optuna-dashboard on kexp's storage, on 127.0.0.1: the study and its trials come back over its API."""
    import json
    import socket
    import subprocess
    import sys
    import urllib.request

    import optuna

    from kexp.search.storage import open_storage

    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="cnn-adam-digits", storage=open_storage(url), direction="maximize")
    study.optimize(lambda t: t.suggest_float("optimizer.learning_rate", 1e-4, 0.1, log=True), n_trials=3)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(Path(sys.executable).parent / "optuna-dashboard"), url, "--host", "127.0.0.1",
                               "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as answer:
                    studies = json.load(answer)["study_summaries"]
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.communicate()
                time.sleep(0.3)
        assert [s["study_name"] for s in studies] == ["cnn-adam-digits"]
        study_id = studies[0]["study_id"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies/{study_id}", timeout=5) as answer:
            detail = json.load(answer)
        assert [t["values"][0] for t in detail["trials"]] == [t.value for t in study.trials]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_grid_on_a_journal_file_with_parallel_jobs_stops_when_every_combination_ran(tmp_path):
    """sampler=grid over 2 x 2 values, n_trials=6, two trials at a time in joblib workers, the study in
    a journal file: the 4 combinations once each, then the search stops; each worker reported its epochs."""
    args = ["-m", "hparams_search=optuna", *TINY_CNN, "data.train_size=120", "data.test_size=40",
            "trainer.save_model=false", "trainer.epochs=2", "hydra.sweeper.params=null",
            "trainer.batch_size=choice(16,32)", "optimizer.learning_rate=choice(0.001,0.01)",
            "hparams_search.sampler=grid", "hydra.sweeper.n_trials=6", "hparams_search.storage=journal.log",
            "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2", "hydra.sweep.dir=sweep"]
    result = kexp_in_process(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "grid search: all 4 combinations tried" in result.stdout + result.stderr
    study = pd.read_csv(tmp_path / "sweep" / "study.csv")
    assert len(study) == 4 and (study["state"] == "COMPLETE").all() and (study["epochs_reported"] == 2).all()
    pairs = set(zip(study["trainer.batch_size"], study["optimizer.learning_rate"]))
    assert pairs == {(16, 0.001), (16, 0.01), (32, 0.001), (32, 0.01)}
    assert (tmp_path / "journal.log").stat().st_size > 0 and not (tmp_path / "outputs" / "optuna.db").exists()


def test_a_time_budget_stops_asking_for_trials(tmp_path):
    """budget.minutes: once that long has passed since the search started, no trial is asked for."""
    import optuna

    from kexp.search.settings import SearchSettings
    from kexp.search.space import search_space
    from kexp.search.sweeper import Searcher

    study = optuna.create_study(direction="maximize")
    settings = SearchSettings(objectives=["val_accuracy"], directions=["maximize"], budget_minutes=0.5)
    searcher = Searcher(study, search_space({"x": "interval(0, 1)"}, []), settings, tmp_path, launcher=None,
                        n_trials=5)
    assert not searcher.out_of_budget()
    searcher.started -= 31  # (31 s ago)
    assert searcher.out_of_budget()
    searcher.run()  # nothing asked, nothing launched (the launcher is None)
    assert study.trials == []


def test_the_sweepers_own_spellings_own_the_study_and_other_fixed_settings_are_refused(tmp_path):
    """hydra.sweeper.study_name/storage (the spelling of Hydra's Optuna plugin) name the study every
    trial's run reports into (its runs once opened hparams_search.*: 'Record does not exist' in a fresh
    directory, another study's trials elsewhere). A second search of that study with another fixed
    setting is one line before anything runs (it once joined the study and reported its best trial)."""
    base = [arg for arg in SEARCH if not arg.startswith("hparams_search.storage=")]
    args = [*base, "hydra.sweeper.study_name=mine", "hydra.sweeper.storage=sqlite:///mine.db",
            "hydra.sweeper.n_trials=2", "trainer.epochs=2"]
    first = kexp_in_process([*args, "hydra.sweep.dir=a"], tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert not (tmp_path / "outputs" / "optuna.db").exists() and not (tmp_path / "study.db").exists()
    with sqlite3.connect(tmp_path / "mine.db") as connection:
        studies = connection.execute("SELECT study_name FROM studies").fetchall()
        reported = connection.execute(
            "SELECT t.number, t.state, COUNT(i.step) FROM trials t LEFT JOIN trial_intermediate_values i "
            "ON i.trial_id = t.trial_id GROUP BY t.trial_id ORDER BY t.number").fetchall()
    assert studies == [("mine",)]
    assert reported == [(0, "COMPLETE", 2), (1, "COMPLETE", 2)]  # each trial's run reported both epochs there

    other = kexp_in_process([*args, "data.train_size=100", "hydra.sweep.dir=b"], tmp_path)
    assert other.returncode == 2
    assert other.stderr.strip() == (
        "kexp: config error: hparams_search.study_name=mine — a study searched with other fixed settings "
        "(data.train_size: 120 there, 100 here); its trials would steer and rank this search: give a new "
        "hparams_search.study_name, or the study's settings")
    assert not (tmp_path / "b").exists()
    again = kexp_in_process([*args, "hydra.sweeper.n_trials=1", "seed=1", "hydra.sweep.dir=c"], tmp_path)  # (seeds may share)
    assert again.returncode == 0, again.stderr[-3000:]
