"""Interrupt-safe, resumable, deterministic training, checked with real processes and signals."""

import signal
import socket
import subprocess
import sys
import time

import keras
import matplotlib.image
import pandas as pd
import pytest

from kexp.training.signals import SignalGuard
from kexp.training.trainer import training_callbacks
from tests.conftest import TINY_CNN, kexp_in_process, kexp_with, typed_config

# About a second per epoch on 2 cores: long enough to interrupt mid-training.
SLOW_TINY = [*TINY_CNN, "data.train_size=1000", "data.test_size=100", "trainer.batch_size=32"]
RESUMABLE = [*SLOW_TINY, "trainer.epochs=6", "trainer.deterministic=true", "regularization.dropout=0.3"]


def start_kexp(args, cwd):
    return subprocess.Popen([sys.executable, "-m", "kexp", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_epochs(history_csv, count, process, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if history_csv.is_file() and len(pd.read_csv(history_csv)) >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise TimeoutError(f"{history_csv} never reached {count} epochs")


def history_without_timing(path):
    return pd.read_csv(path).drop(columns=["epoch_seconds"])


@pytest.fixture(scope="module")
def uninterrupted_history(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("reference")
    result = kexp_in_process([*RESUMABLE, "hydra.run.dir=run"], cwd)
    assert result.returncode == 0, result.stderr[-2000:]
    return history_without_timing(cwd / "run" / "history.csv")


def only_run_dir(root):
    found = list(root.glob("outputs/*/*/.kexp"))
    return found[0].parent if len(found) == 1 else None


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_cleanly_and_the_rerun_resumes(tmp_path, signum, uninterrupted_history):
    """SIGTERM: the run named by hydra.run.dir=; SIGINT: a plain command under outputs/, whose plain
    rerun finds and resumes it."""
    args = [*RESUMABLE, "hydra.run.dir=run"] if signum == signal.SIGTERM else RESUMABLE
    process = start_kexp(args, tmp_path)
    if signum == signal.SIGTERM:
        run = tmp_path / "run"
    else:
        deadline = time.monotonic() + 60
        while (run := only_run_dir(tmp_path)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
    wait_for_epochs(run / "history.csv", 2, process)
    if signum == signal.SIGTERM:  # while it runs (frozen meanwhile), a second process is refused
        process.send_signal(signal.SIGSTOP)
        config = (run / ".hydra" / "config.yaml").read_text()
        second = kexp_in_process(args, tmp_path)
        process.send_signal(signal.SIGCONT)
        assert second.returncode == 2 and second.stderr.strip() == (
            f"kexp: config error: hydra.run.dir={run} — in use by process {process.pid} on "
            f"{socket.gethostname()}; wait for it to end or choose another directory (resume=never starts a new run)")
        assert (run / ".hydra" / "config.yaml").read_text() == config
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr
    assert "kexp: interrupted (stopped by SIG" in stderr and "to continue, run the same command again" in stderr
    if signum == signal.SIGTERM:  # a rerun with other values is refused, naming them
        other = kexp_in_process([*args, "trainer.batch_size=16"], tmp_path)
        assert other.returncode == 2 and other.stderr.strip().endswith(
            "holds a run with another config: trainer.batch_size=16 (was 32); rerun with the same "
            "values to resume, or use a new directory")
    done = pd.read_csv(run / "history.csv")
    assert 2 <= len(done) < 6 and done["epoch"].tolist() == list(range(1, len(done) + 1))
    metrics = pd.read_csv(run / "metrics.csv").iloc[0]
    assert metrics["status"] == "interrupted" and metrics["epochs"] == len(done)
    assert matplotlib.image.imread(run / "curves.png").shape[:2] == (450, 1100)
    assert (run / "backup").is_dir() and not (run / "model.keras").exists()

    resumed = kexp_in_process(args, tmp_path)  # the same command again
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    if signum == signal.SIGINT:
        assert only_run_dir(tmp_path) == run  # no second directory
        assert f"kexp: resuming the unfinished run outputs/{run.parent.name}/{run.name} (" in resumed.stderr
        assert "of 6 epochs done); resume=never starts a new run" in resumed.stderr
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    pd.testing.assert_frame_equal(history.iloc[: len(done)], done)  # finished epochs kept as they were
    assert pd.read_csv(run / "metrics.csv")["status"].iloc[0] == "ok"
    assert not (run / "backup").exists() and (run / "model.keras").is_file()
    # deterministic mode: interrupted + resumed == never interrupted, number for number
    pd.testing.assert_frame_equal(history_without_timing(run / "history.csv"), uninterrupted_history,
                                  check_exact=True)


def test_a_nan_loss_stops_the_run_as_diverged(tmp_path):
    result = kexp_in_process(["model=mlp", "optimizer=sgd", "optimizer.learning_rate=1e12",
                              "data.train_size=300", "data.test_size=50", "trainer.epochs=5",
                              "hydra.run.dir=run"], tmp_path)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "kexp: diverged" in result.stderr and "lower optimizer.learning_rate (now 1e+12)" in result.stderr
    metrics = pd.read_csv(tmp_path / "run" / "metrics.csv").iloc[0]
    assert metrics["status"] == "diverged" and metrics["epochs"] < 5
    assert (tmp_path / "run" / "curves.png").is_file()
    assert not (tmp_path / "run" / "backup").exists()


def assert_whole_artifacts(run):
    """Every file a killed run left parses whole: history rows 1..n without gaps, CSVs, the PNG."""
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == list(range(1, len(history) + 1))
    assert history.notna().all().all() and len(history.columns) == 7
    for artifact in run.glob("*.csv"):
        assert len(pd.read_csv(artifact)) >= 1
    if (run / "curves.png").exists():
        matplotlib.image.imread(run / "curves.png")


def test_a_kill_at_any_moment_leaves_whole_files_and_loses_no_training(tmp_path):
    """SIGKILL while epochs publish their artifacts, then in saving, then in evaluation (the model is
    saved before it is scored): every file parses whole each time, and each rerun finishes what is
    missing, no epoch twice."""
    args = [*TINY_CNN, "data.train_size=400", "data.test_size=50", "trainer.epochs=6", "hydra.run.dir=run"]
    run = tmp_path / "run"
    process = start_kexp(args, tmp_path)
    wait_for_epochs(run / "history.csv", 1, process)
    time.sleep(0.3)
    process.kill()
    process.communicate()
    assert_whole_artifacts(run)
    kill = "lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)"
    killed = kexp_with(f"import os, signal, keras\nkeras.Model.save = {kill}", args, tmp_path)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert_whole_artifacts(run)
    history = (run / "history.csv").read_text()
    assert pd.read_csv(run / "history.csv")["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    assert (run / "backup" / "trained").is_dir() and not (run / "metrics.csv").exists()
    assert not (run / "model.keras").exists()  # only a hidden temporary, removed by the next start
    killed = kexp_with(f"import os, signal, kexp.reporting.evaluation\nkexp.reporting.evaluation.evaluate = {kill}", args, tmp_path)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert_whole_artifacts(run)
    assert (run / "model.keras").is_file() and not (run / "metrics.csv").exists()  # saved, then killed
    done = kexp_in_process(args, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (run / "history.csv").read_text() == history  # trained once, kept as it was
    log = (run / "kexp.log").read_text()
    assert log.count("epoch 6/6") == 1 and log.count("training had ended") == 2
    assert pd.read_csv(run / "metrics.csv")["status"].tolist() == ["ok"]
    assert (run / "model.keras").is_file() and not (run / "backup").exists()
    assert not list(run.glob(".partial*")) and not list(run.glob(".*.keras"))


# -- class and sample weights ------------------------------------------------------------
def test_balanced_class_weights_are_sklearns_and_multiply_sample_weights():
    import numpy as np

    from kexp.data import Dataset, Split
    from kexp.training.trainer import training_weights

    y = np.array([0, 0, 0, 1])
    train = Split(np.zeros((4, 2)), y, np.array([1, 2, 1, 1], dtype="float32"))
    data = Dataset("t", train, train, train, num_classes=2)
    # n / (classes · count): 4 / (2·3) for class 0, 4 / (2·1) for class 1
    assert training_weights(data, "balanced").tolist() == pytest.approx([2 / 3, 4 / 3, 2 / 3, 2])
    assert training_weights(data, {1: 5.0}).tolist() == [1, 2, 1, 5]
    assert training_weights(data, "none").tolist() == [1, 2, 1, 1]


def test_balanced_class_weights_raise_the_minority_recall(tmp_path):
    from tests.conftest import run_in_process

    recall = {}
    for weighting in ("none", "balanced"):
        run_in_process([*TINY_CNN, "data.imbalance={3:0.95,8:0.95}", "trainer.epochs=5",
                        f"trainer.class_weight={weighting}", "trainer.save_model=false",
                        "data.test_size=200"], tmp_path / weighting)
        per_class = pd.read_csv(tmp_path / weighting / "per_class.csv").set_index("class")
        recall[weighting] = per_class["recall"]
    # Measured: classes 3 and 8 (5 % of their training images kept) 0.0 / 0.0
    # without weights, 0.57 / 0.63 balanced.
    for minority in (3, 8):
        assert recall["balanced"][minority] > recall["none"][minority] + 0.3, recall


def test_training_callbacks_keep_kerass_batch_end_dispatch_asynchronous(tmp_path, monkeypatch):
    """Keras's own decision, as on JAX/torch: no kexp callback makes each step wait at its end."""
    import keras.src.backend

    monkeypatch.setattr(keras.src.backend, "IS_THREAD_SAFE", True)
    ours = training_callbacks(tmp_path, 3, SignalGuard(), configured=[])
    assert keras.callbacks.CallbackList(ours)._async_train is True
    blocking = keras.callbacks.TerminateOnNaN()  # the same callback without dispatch_async
    assert keras.callbacks.CallbackList([*ours, blocking])._async_train is False


def test_with_ema_validation_sees_the_averaged_weights_that_the_test_uses(tmp_path):
    """optimizer.use_ema: Keras puts the moving average into the model at the end of fit; the
    epochs' validation must measure that model too (SwapEMAWeights), not the raw weights."""
    from kexp.data import load_data
    from kexp.runs.saved import load_model
    from tests.conftest import compose_config, run_in_process

    overrides = ["model=mlp", "model.hidden_units=[32]", "optimizer=lion", "+optimizer.use_ema=true",
                 "+optimizer.ema_momentum=0.9", "data.train_size=300", "data.test_size=60", "trainer.epochs=3"]
    run_in_process(overrides, tmp_path / "run")
    last = pd.read_csv(tmp_path / "run" / "history.csv").iloc[-1]
    model = load_model(tmp_path / "run")
    val = load_data(typed_config(overrides).data, seed=0).val
    scores = model.evaluate(val.x, val.y, verbose=0, return_dict=True)
    assert scores["accuracy"] == pytest.approx(last["val_accuracy"], abs=1e-6)
    assert scores["loss"] == pytest.approx(last["val_loss"], rel=1e-5)
