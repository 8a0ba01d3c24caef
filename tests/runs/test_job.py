"""End to end: ``python -m kexp`` trains on tiny data and writes every artifact right."""

import re

import keras
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import yaml

from kexp.data import load_data
from tests.conftest import TINY_CNN, TINY_DATA, compose_config, kexp_in_process, run_kexp, typed_config

ARGS = [*TINY_CNN, *TINY_DATA, "trainer.epochs=2", "trainer.batch_size=32"]
TINY_CNN_PARAMETERS = (5 * 5 * 1 * 8 + 8) + (5 * 5 * 8 * 16 + 16) + (4 * 4 * 16 * 32 + 32) + (32 * 10 + 10)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("cwd")
    result = run_kexp(ARGS, cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = [p for p in (cwd / "outputs").glob("*/*") if p.is_dir()]
    assert len(runs) == 1
    return runs[0], result


def test_run_directory_is_dated_and_named_after_the_overrides(finished_run):
    run_dir, result = finished_run
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", run_dir.parent.name)
    # Hydra sorts the overrides; whole ones are kept up to ~60 characters, then +N
    assert re.fullmatch(r"\d\d-\d\d-\d\d_data\.test_size=100,data\.train_size=200,\+4",
                        run_dir.name), run_dir.name
    assert f"kexp: run directory {run_dir}" in result.stdout
    assert "kexp: cnn-adam: 11,978 parameters, 2 epochs, val_accuracy" in result.stdout


def test_history_csv_has_one_row_per_epoch(finished_run):
    history = pd.read_csv(finished_run[0] / "history.csv")
    assert set(history.columns) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy",
                                    "learning_rate", "epoch_seconds"}
    assert history["epoch"].tolist() == [1, 2]
    assert history[["accuracy", "val_accuracy"]].stack().between(0, 1).all()
    assert (history[["loss", "val_loss"]] > 0).all().all()
    assert history["learning_rate"].tolist() == pytest.approx([3e-4, 3e-4])
    assert (history["epoch_seconds"] > 0).all()


def test_metrics_csv_is_one_row_with_the_headline_numbers(finished_run):
    metrics = pd.read_csv(finished_run[0] / "metrics.csv")
    assert metrics.columns.tolist() == [
        "name", "model", "optimizer", "parameters", "macs", "epochs", "final_loss",
        "best_val_accuracy", "final_val_accuracy", "best_val_loss", "final_val_loss", "test_accuracy",
        "test_loss", "train_seconds", "images_per_second", "status", "error"]
    row = metrics.iloc[0]
    assert len(metrics) == 1
    assert (row["name"], row["model"], row["optimizer"], row["status"]) == ("cnn-adam", "cnn", "adam", "ok")
    assert row["parameters"] == TINY_CNN_PARAMETERS and row["epochs"] == 2
    history = pd.read_csv(finished_run[0] / "history.csv")
    assert row["best_val_accuracy"] == pytest.approx(history["val_accuracy"].max())
    assert row["final_val_accuracy"] == pytest.approx(history["val_accuracy"].iloc[-1])
    assert row["best_val_loss"] == pytest.approx(history["val_loss"].min())
    assert row["final_val_loss"] == pytest.approx(history["val_loss"].iloc[-1])
    assert pd.isna(row["error"])
    assert 0 <= row["test_accuracy"] <= 1 and row["test_loss"] > 0
    assert row["final_loss"] == pytest.approx(history["loss"].iloc[-1])
    # MACs by hand: conv1 24·24·8·25, pool1 12·12·8·4, conv2 8·8·16·(25·8), pool2 4·4·16·4,
    # fc1 256·32, predictions 32·10
    assert row["macs"] == 115_200 + 4_608 + 204_800 + 1_024 + 8_192 + 320
    assert row["images_per_second"] == pytest.approx(180 * 2 / row["train_seconds"], rel=0.01)


def test_curves_png_summary_config_and_log(finished_run):
    run_dir = finished_run[0]
    assert matplotlib.image.imread(run_dir / "curves.png").shape[:2] == (450, 1100)
    summary = (run_dir / "model.txt").read_text()
    assert "conv1 (Conv2D)" in summary and "Total params: 11,978" in summary
    assert "Trainable params: 11,978" in summary and "Non-trainable params: 0" in summary
    assert "(None, 24, 24, 8)" in summary
    # the whole table, Param # column included (Keras cut it at 80 columns outside a terminal)
    rows = {line.split()[1]: line.split("│")[-2].strip() for line in summary.splitlines()
            if line.startswith("│ ") and "(" in line}
    assert {k: rows[k] for k in ("conv1", "conv2", "fc1", "predictions")} == \
        {"conv1": "208", "conv2": "3,216", "fc1": "8,224", "predictions": "330"}
    facts = yaml.safe_load((run_dir / "run.yaml").read_text())  # provenance
    assert __import__("shlex").split(facts["command"])[1:] == ["-m", "kexp", *ARGS] and facts["seed"] == 0
    assert facts["status"] == "ok" and facts["started"] <= facts["finished"] and facts["host"]
    assert facts["first_started"] == facts["started"] and facts["backend"] == "tensorflow"
    assert facts["precision"] == "float32" and facts["devices"] and all(isinstance(d, str) for d in facts["devices"])
    assert facts["packages"]["keras"] == keras.__version__ and "kexp" in facts["packages"]
    assert "git" not in facts  # started outside a git repository
    config = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())
    assert config["model"]["filters"] == [8, 16] and config["trainer"]["epochs"] == 2
    log = (run_dir / "kexp.log").read_text()
    assert "epoch 1/2" in log and "epoch 2/2" in log
    assert not list(run_dir.glob(".partial*"))
    assert not (run_dir / "backup").exists() and not (run_dir / ".history.stream.csv").exists()


def test_saved_model_reloads_and_scores_what_the_run_reported(finished_run):
    run_dir = finished_run[0]
    model = keras.models.load_model(run_dir / "model.keras")
    assert model.count_params() == TINY_CNN_PARAMETERS
    data = load_data(typed_config(ARGS).data, seed=0)
    predictions = model.predict(data.test.x, verbose=0)
    accuracy = float(np.mean(predictions.argmax(axis=1) == data.y_test))
    reported = pd.read_csv(run_dir / "metrics.csv")["test_accuracy"].iloc[0]
    assert accuracy == pytest.approx(reported, abs=1e-6)
    # the confusion matrix counts the same predictions: rows true, columns predicted
    confusion = pd.read_csv(run_dir / "confusion_matrix.csv").set_index("true")
    assert confusion.shape == (10, 10) and confusion.to_numpy().sum() == len(data.y_test) == 100
    assert np.trace(confusion.to_numpy()) == round(accuracy * 100)
    assert confusion.sum(axis=1).tolist() == np.bincount(data.y_test, minlength=10).tolist()
    assert matplotlib.image.imread(run_dir / "confusion_matrix.png").ndim == 3


# -- runs started side by side -------------------------------------------------------------
def test_runs_started_together_never_share_a_directory(tmp_path):
    """Two identical commands and one with another seed, started at once (a shell loop, a job array)."""
    import subprocess
    import sys

    from tests.conftest import REPO

    args = ["model=mlp", "model.hidden_units=[16]", "data.train_size=100", "data.test_size=50",
            "trainer.epochs=2", "trainer.save_model=false"]
    env = {**__import__("os").environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    processes = [subprocess.Popen([sys.executable, "-m", "kexp", *args, f"seed={seed}"], cwd=tmp_path,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for seed in (1, 1, 2)]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.communicate()[1][-2000:]
    runs = sorted(p for p in (tmp_path / "outputs").glob("*/*") if p.is_dir())
    assert len(runs) == 3
    assert sorted(r.name.split("_", 1)[1].split(",")[0] for r in runs) == ["seed=1", "seed=1", "seed=2"]
    for run in runs:
        history = pd.read_csv(run / "history.csv")
        assert history["epoch"].tolist() == [1, 2]  # no interleaved or garbage rows
        assert pd.read_csv(run / "metrics.csv")["status"].tolist() == ["ok"]
        stored = yaml.safe_load((run / ".kexp" / "config.yaml").read_text())
        assert f"seed={stored['seed']}" in run.name


def test_an_error_in_the_job_is_printed_once_and_leaves_no_directory(tmp_path):
    """A mistake only the job can find (an unknown builder: the registry imports Keras) is one
    line on the terminal, not also Hydra's log line of it (kexp.runs.said)."""
    (tmp_path / "conf" / "model").mkdir(parents=True)
    (tmp_path / "conf" / "model" / "mine.yaml").write_text("name: mine\nbuilder: nonet\n")
    (tmp_path / "mine").mkdir()  # the user's own (empty) folder around the run directory stays
    result = kexp_in_process(["--config-dir", str(tmp_path / "conf"), "model=mine", "hydra.run.dir=mine/run"], tmp_path)
    assert result.returncode == 2
    line = "kexp: config error: model.builder=nonet — unknown"
    assert result.stderr.count(line) == 1 and result.stdout.count(line) == 0, result.stderr
    assert not (tmp_path / "mine" / "run").exists() and (tmp_path / "mine").is_dir()
