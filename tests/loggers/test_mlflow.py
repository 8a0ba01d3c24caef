"""The MLflow logger in this process: a resumed run continues its MLflow run; bad stores and a
missing package are one line. (The sweep, nesting and the UI server: tests/loggers/test_sweep.py.)"""

import importlib.util
import socket

import pandas as pd
import pytest

from kexp.config.errors import ConfigError
from kexp.loggers import check_loggers
from kexp.loggers.mlflow import flat_params
from kexp.runs.pipeline import run
from kexp.training.signals import TrainingInterrupted
from tests.conftest import TINY_DATA, compose_config

mlflow = pytest.importorskip("mlflow")

TINY_MLP = ["model=mlp", "model.hidden_units=[16]", *TINY_DATA, "trainer.save_model=false",
            "logger=[csv,mlflow]"]


def test_a_resumed_run_continues_its_mlflow_run(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    cfg = compose_config([*TINY_MLP, "trainer.epochs=3", f"logger.mlflow.tracking_uri={uri}",
                          "logger.mlflow.experiment_name=resume",
                          f"trainer.callbacks=[{{_target_: tests.callbacks.SignalAfterEpoch, epoch: 2, "
                          f"flag: '{tmp_path / 'sent'}'}}]"])
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with pytest.raises(TrainingInterrupted):
        run(cfg, run_dir)
    client = mlflow.MlflowClient(uri)
    [first] = client.search_runs([client.get_experiment_by_name("resume").experiment_id])
    assert (first.info.status, first.data.tags["kexp.status"]) == ("KILLED", "interrupted")
    assert [m.step for m in client.get_metric_history(first.info.run_id, "loss")] == [1, 2]

    assert run(cfg, run_dir).status == "ok"
    [again] = client.search_runs([client.get_experiment_by_name("resume").experiment_id])
    assert again.info.run_id == first.info.run_id and again.info.status == "FINISHED"
    history = pd.read_csv(run_dir / "history.csv")
    logged = client.get_metric_history(again.info.run_id, "val_loss")
    assert [(m.step, m.value) for m in logged] == [
        (e, pytest.approx(v, rel=1e-6)) for e, v in zip(history["epoch"], history["val_loss"])]
    assert again.data.params["trainer.epochs"] == "3" and again.data.params["model.hidden_units"] == "[16]"
    assert again.data.metrics["epochs"] == 3 and "model" not in {a.path for a in client.list_artifacts(again.info.run_id)}


def test_params_are_the_resolved_config_flattened():
    params = flat_params(compose_config(["model=mlp", "optimizer=sgd"]))
    assert params["model.name"] == "mlp" and params["optimizer.name"] == "sgd"
    assert params["name"] == "mlp-sgd"  # interpolations resolved
    assert params["model.hidden_units"] == "[512, 256]" and "hydra.run.dir" not in params


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("uri", ["sqlite:////proc/kexp/mlflow.db", "http://127.0.0.1:{port}"])
def test_a_store_that_cannot_be_opened_is_one_line_before_training(tmp_path, uri):
    uri = uri.format(port=closed_port())
    cfg = compose_config([*TINY_MLP, f"logger.mlflow.tracking_uri={uri}"])
    with pytest.raises(ConfigError) as err:
        run(cfg, tmp_path)
    assert err.value.one_line().startswith(
        f"kexp: config error: logger.mlflow.tracking_uri={uri} — cannot open the MLflow tracking store (")
    assert not (tmp_path / "history.csv").exists()


def test_a_missing_package_is_one_line(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    with pytest.raises(ConfigError, match=r"logger=\[...,mlflow\] — needs the mlflow package "
                                          r"\(pip install 'kexp\[mlflow\]'\)"):
        check_loggers(compose_config(["logger=[csv,mlflow]"]))
