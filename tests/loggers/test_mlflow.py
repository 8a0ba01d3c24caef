"""The MLflow logger in this process: a resumed run continues its MLflow run; bad stores and a
missing package are one line. (The sweep, nesting and the UI server: tests/loggers/test_sweep.py.)"""

import importlib.util
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kexp.config.errors import ConfigError
from kexp.loggers import check_loggers
from kexp.loggers.mlflow import flat_params
from kexp.runs.pipeline import run
from kexp.training.signals import TrainingInterrupted
from tests.conftest import TINY_DATA, typed_config

mlflow = pytest.importorskip("mlflow")

TINY_MLP = ["model=mlp", "model.hidden_units=[16]", *TINY_DATA, "trainer.save_model=false",
            "logger=[csv,mlflow]"]


def test_a_resumed_run_continues_its_mlflow_run(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    cfg = typed_config([*TINY_MLP, "trainer.epochs=3", f"logger.mlflow.tracking_uri={uri}",
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
    params = flat_params(typed_config(["model=mlp", "optimizer=sgd"]).params)
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
    cfg = typed_config([*TINY_MLP, f"logger.mlflow.tracking_uri={uri}"])
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
        check_loggers(typed_config(["logger=[csv,mlflow]"]).loggers)


def test_the_trained_model_is_an_mlflow_model_that_loads_and_predicts_the_same(tmp_path):
    """Once a plain file (no MLmodel: mlflow.keras.load_model failed, no logged model, nothing to
    register); tags once differed from the docs and kexp.overrides was on sweep jobs only."""
    from tests.conftest import kexp_in_process

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    args = ["model=mlp", "model.hidden_units=[16]", *TINY_DATA, "trainer.epochs=1", "logger=[csv,mlflow]",
            f"logger.mlflow.tracking_uri={uri}", "logger.mlflow.register_as=digits-mlp", "hydra.run.dir=run"]
    result = kexp_in_process(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("kexp").experiment_id
    [logged] = client.search_runs([experiment])
    run_id = logged.info.run_id
    tags = logged.data.tags
    assert tags["kexp.run_dir"] == str((tmp_path / "run").resolve()) and tags["kexp.status"] == "ok"
    assert tags["kexp.overrides"] == ",".join(a for a in args if not a.startswith("hydra."))
    [model_entry] = mlflow.search_logged_models(experiment_ids=[experiment], output_format="list",
                                                filter_string=f"source_run_id = '{run_id}'")
    assert model_entry.name == "model"
    from kexp.runs.saved import load_model

    ours = load_model(tmp_path / "run")
    x = np.random.default_rng(1).random((5, 28, 28, 1), dtype=np.float32)
    expected = ours.predict(x, verbose=0)
    loaded = mlflow.keras.load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    served = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(np.asarray(served.predict(x)), expected, rtol=1e-6)
    assert served.metadata.get_input_schema().inputs[0].shape == (-1, 28, 28, 1)
    # the requirements MLflow's inference finds (kexp gives them: inferring loads the model in a new process)
    import keras
    import tensorflow

    requirements = Path(mlflow.pyfunc.get_model_dependencies(f"runs:/{run_id}/model")).read_text().split()
    assert sorted(requirements) == sorted([f"mlflow=={mlflow.__version__}", f"keras=={keras.__version__}",
                                           f"numpy=={np.__version__}", f"tensorflow=={tensorflow.__version__}"])
    [version] = client.search_model_versions("name='digits-mlp'")
    assert version.run_id == run_id and int(version.version) == 1
