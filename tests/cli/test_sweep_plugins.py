"""The ``sweep`` extra for real: joblib and submitit_local launchers, the Optuna search."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import TINY_CNN, kexp_in_process, run_kexp

TINY = [*TINY_CNN, "data.train_size=200", "data.test_size=50", "trainer.epochs=1"]


def assert_sweep_ok(result, sweep, jobs: int) -> pd.DataFrame:
    assert result.returncode == 0, result.stderr[-3000:]
    summary = pd.read_csv(sweep / "summary.csv")
    assert len(summary) == jobs and (summary["status"] == "ok").all()
    assert (sweep / "report.html").is_file()
    return summary


def test_joblib_runs_jobs_in_parallel_processes_sharing_the_cores(tmp_path):
    result = run_kexp(["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "seed=0,1", *TINY,
                       "hydra.sweep.dir=sweep"], tmp_path)
    summary = assert_sweep_ok(result, tmp_path / "sweep", 2)
    assert summary["seed"].tolist() == [0, 1]
    import os

    threads = max(1, (os.cpu_count() or 1) // min(2, os.cpu_count() or 1))
    for job in ("0", "1"):
        assert f"CPU threads for this job: {threads}" in (tmp_path / "sweep" / job / "kexp.log").read_text()


def test_submitit_local_runs_each_job_as_its_own_process(tmp_path):
    result = run_kexp(["-m", "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10",
                       "optimizer=sgd,adam", *TINY, "hydra.sweep.dir=sweep"], tmp_path)
    summary = assert_sweep_ok(result, tmp_path / "sweep", 2)
    assert summary["optimizer"].tolist() == ["sgd", "adam"]
    assert any((tmp_path / "sweep" / ".submitit").rglob("*_log.out"))


def test_optuna_search_minimizes_the_validation_loss_of_a_regression_and_survives_divergence(tmp_path):
    """Regression: the objective is val_loss, minimised; a trial that diverges fails alone."""
    result = kexp_in_process(["-m", "hparams_search=optuna", "hydra.sweeper.n_trials=3", "data=diabetes",
                              "model=mlp", "model.hidden_units=[16]", "task=regression", "trainer.epochs=2",
                              "hydra.sweeper.params={optimizer.learning_rate: 'choice(0.001, 1e12)'}",
                              "hydra.sweeper.sampler.seed=5", "hydra.sweep.dir=sweep"], tmp_path)
    summary = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    # sampler seed 5 (seeded per trial number) draws the good rate, the divergent one, the good one (measured)
    assert summary["status"].tolist() == ["ok", "diverged", "ok"]
    assert result.returncode == 1 and "1 job(s) did not end ok" in result.stderr  # after all trials
    results = yaml.safe_load((tmp_path / "sweep" / "optimization_results.yaml").read_text())
    assert results["best_params"]["optimizer.learning_rate"] == 0.001
    assert results["best_value"] == summary["best_val_loss"].min() > 0  # minimised


def test_optuna_search_maximizes_validation_accuracy(tmp_path):
    result = kexp_in_process(["-m", "hparams_search=optuna", "hydra.sweeper.n_trials=3", *TINY,
                              "hydra.sweep.dir=sweep"], tmp_path)
    summary = assert_sweep_ok(result, tmp_path / "sweep", 3)
    searched = {"optimizer.learning_rate", "trainer.batch_size", "regularization.dropout"}
    assert searched <= set(summary.columns)
    assert summary["optimizer.learning_rate"].astype(float).between(1e-4, 0.1).all()
    assert set(summary["trainer.batch_size"].astype(int)) <= {32, 64, 128}
    best = (tmp_path / "sweep" / "optimization_results.yaml").read_text()
    assert "best_value" in best
    # the objective (auto: val_accuracy = the best validation accuracy of each trial)
    assert float(best.split("best_value:")[1].split()[0]) == summary["best_val_accuracy"].max()


@pytest.fixture
def ray_cluster():
    """A Ray head on 127.0.0.1 with 2 CPUs, started as a user would (``ray start --head``)."""
    from tests.backends.test_rendezvous import free_port

    port = free_port()
    ray = Path(sys.executable).with_name("ray")
    started = subprocess.run([str(ray), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                              "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"],
                             capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr[-2000:]
    yield f"127.0.0.1:{port}"
    subprocess.run([str(ray), "stop", "--force"], capture_output=True, timeout=120)


def test_ray_launcher_runs_jobs_in_parallel_on_a_cluster_and_isolates_a_diverged_one(tmp_path, ray_cluster):
    """Two jobs on a 2-CPU Ray cluster at once, one CPU (and one thread) each; the diverged job is
    recorded and the sweep goes on, exit 1 at its end — as with the basic launcher."""
    result = run_kexp(["-m", "hydra/launcher=ray", f"hydra.launcher.ray.init.address={ray_cluster}",
                       "data=diabetes", "model=mlp", "model.hidden_units=[16]", "task=regression",
                       "trainer.epochs=2", "optimizer.learning_rate=0.001,1e12", "hydra.sweep.dir=sweep"],
                      tmp_path)
    assert result.returncode == 1 and "1 job(s) did not end ok" in result.stderr, result.stderr[-3000:]
    summary = pd.read_csv(tmp_path / "sweep" / "summary.csv").sort_values("job")
    assert summary["status"].tolist() == ["ok", "diverged"]
    assert (tmp_path / "sweep" / "report.html").is_file()
    logs = [(tmp_path / "sweep" / job / "kexp.log").read_text() for job in ("0", "1")]
    assert all("CPU threads for this job: 1" in log for log in logs)
    pids = {line.split("pid=")[1].split(")")[0] for line in result.stdout.splitlines() if "(_run_job pid=" in line}
    assert len(pids) == 2  # two Ray worker processes
    # the two jobs overlapped in time: each started before the other's last epoch ended
    times = [pd.to_datetime([l[1:24] for l in log.splitlines() if l.startswith("[")], format="%Y-%m-%d %H:%M:%S,%f")
             for log in logs]
    assert times[0].min() < times[1].max() and times[1].min() < times[0].max()
