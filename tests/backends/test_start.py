"""Precision policies and device strategies."""

import keras
import numpy as np
import pandas as pd
import pytest

from kexp.errors import ConfigError
from kexp.backends.start import device_strategy, start_backend
from tests.conftest import TINY_CNN, compose_config, run_in_process, run_kexp

TINY_RUN = [*TINY_CNN, "data.train_size=100", "data.test_size=50", "trainer.save_model=false"]


@pytest.fixture(autouse=True)
def float32_afterwards():
    yield
    keras.config.set_dtype_policy("float32")


def test_mixed_bfloat16_computes_in_bfloat16_with_a_float32_output(tmp_path):
    row = run_in_process([*TINY_RUN, "trainer.epochs=1", "trainer.precision=mixed_bfloat16",
                          "trainer.save_model=true"], tmp_path)
    model = keras.saving.load_model(tmp_path / "model.keras")
    assert model.get_layer("conv1").compute_dtype == "bfloat16"
    assert model.get_layer("conv1").variable_dtype == "float32"
    assert model.get_layer("predictions").compute_dtype == "float32"
    assert row["status"] == "ok" and row["test_loss"] == row["test_loss"]  # finite


def test_mixed_float16_gets_keras_loss_scaling():
    from kexp.models import build_model
    from kexp.optimizers import build_optimizer
    from kexp.trainer import compile_model

    from kexp.diagnostics import gradient_rows, loss_scale

    cfg = compose_config(TINY_CNN)
    x = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")
    y = np.arange(64) % 10
    norms = {}
    for precision in ("float32", "mixed_float16"):
        start_backend(0, precision=precision)
        model = build_model(cfg.model, (28, 28, 1), 10, cfg.regularization)
        compile_model(model, build_optimizer(cfg.optimizer))
        if precision == "float32":
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        norms[precision] = np.array([r["grad_norm"] for r in gradient_rows(model, x, y, epoch=0)])
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.get_layer("fc1").compute_dtype == "float16"
    # the diagnostics scale the float16 loss as the optimizer does, so no gradient underflows
    assert loss_scale(model) > 1
    np.testing.assert_allclose(norms["mixed_float16"], norms["float32"], rtol=0.02)
    start_backend(0)


def test_the_default_strategy_is_one_device():
    assert device_strategy("default")[1] == 1
    with pytest.raises(ConfigError, match="trainer.strategy=ring — must be default or mirrored"):
        device_strategy("ring")


def test_mirrored_on_two_logical_cpus_takes_the_same_steps(tmp_path):
    # A user callback (by _target_) counts the steps of the epoch.
    (tmp_path / "stepcount.py").write_text(
        "import keras\n"
        "class StepCount(keras.callbacks.Callback):\n"
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        logs['steps'] = float(self.params['steps'])\n")
    counter = "trainer.callbacks=[{_target_: stepcount.StepCount}]"
    env = {"KEXP_LOGICAL_CPUS": "2", "PYTHONPATH": str(tmp_path)}
    result = run_kexp([*TINY_RUN, "trainer.epochs=1", counter, "trainer.strategy=mirrored",
                       "trainer.batch_size=16", "hydra.run.dir=mirrored"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    history = pd.read_csv(tmp_path / "mirrored" / "history.csv")
    assert history[["loss", "val_loss"]].notna().all().all()
    assert "MirroredStrategy over 2 replicas" in (tmp_path / "mirrored" / "kexp.log").read_text()
    # 16 per replica × 2 replicas: the steps of one device with batch 32 (90 images → 3)
    assert history["steps"].tolist() == [3.0] == [float(-(-90 // 32))]


def test_the_backend_is_read_as_keras_reads_it(tmp_path, monkeypatch):
    from kexp.backends import configured_backend

    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert configured_backend() == "tensorflow"  # no keras.json
    (tmp_path / "keras.json").write_text('{"backend": "jax", "floatx": "float32"}')
    assert configured_backend() == "jax"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert configured_backend() == "torch"
