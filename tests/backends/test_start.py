"""Precision policies and device strategies."""

import keras
import numpy as np
import pandas as pd
import pytest

from kexp.config.errors import ConfigError
from kexp.backends.precision import FLOAT16_ON_CPU
from kexp.backends.start import check_strategy, device_strategy, start_backend
from tests.conftest import TINY_CNN, compose_config, run_in_process, run_kexp, typed_config, write_image_tree, xla_flags

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


def test_mixed_float16_gets_keras_loss_scaling(caplog):
    from kexp.models import build_model
    from kexp.training.optimizers import build_optimizer
    from kexp.training.trainer import compile_model

    from kexp.reporting.gradient_flow import gradient_rows, loss_scale

    cfg = typed_config(TINY_CNN)
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
    # on this CPU (no GPU in the suite) float16 is emulated: said once, with the measured cost
    said = [r.getMessage() for r in caplog.records if "mixed_float16" in r.getMessage()]
    assert said == [FLOAT16_ON_CPU] and said[0].startswith("trainer.precision=mixed_float16 on a CPU")
    start_backend(0)


def test_the_default_strategy_is_one_device_and_unsupported_pairs_are_one_line():
    assert device_strategy("default")[1] == 1
    with pytest.raises(ConfigError, match="trainer.strategy=ring — must be default, mirrored, data_parallel"):
        device_strategy("ring")
    with pytest.raises(ConfigError, match=r"^trainer.strategy=data_parallel — needs KERAS_BACKEND=jax "
                                          r"\(this run: tensorflow\); on TensorFlow use mirrored; or default$"):
        check_strategy("data_parallel", "tensorflow")
    with pytest.raises(ConfigError, match=r"^trainer.strategy=mirrored — needs KERAS_BACKEND=tensorflow "
                                          r"\(this run: torch\); on JAX use data_parallel; or default$"):
        check_strategy("mirrored", "torch")


#: Records, per epoch, the steps taken and how Keras's distribution lays out a batch.
LAYOUT_RECORDER = (
    "import keras\n"
    "class Layout(keras.callbacks.Callback):\n"
    "    def on_epoch_end(self, epoch, logs=None):\n"
    "        logs['steps'] = float(self.params['steps'])\n"
    "        d = keras.distribution.distribution()\n"
    "        layout = d.get_data_layout((32, 28, 28, 1)) if d else None\n"
    "        logs['mesh_devices'] = float(layout.device_mesh.shape[0]) if layout else 1.0\n"
    "        logs['batch_axis_sharded'] = float(bool(layout) and layout.axes[0] == 'batch')\n"
    "        w = self.model.weights[0].value\n"
    "        logs['weight_shards'] = float(len(w.sharding.device_set))\n"
    "        logs['weight_replicated'] = float(w.sharding.is_fully_replicated)\n")


def test_data_parallel_on_two_jax_devices_splits_the_batch_and_matches_one_device(tmp_path):
    """JAX with two host-platform CPU devices: 16 per device is the global batch 32 of one device:
    the same steps, the batch axis split across both devices, the weights replicated, the same losses;
    the test split (48, not whole batches of 32) is evaluated whole on a local copy."""
    from tests.runs.test_processes import RUN

    write_image_tree(tmp_path / "photos", per_class=48)
    (tmp_path / "layout.py").write_text(LAYOUT_RECORDER)
    env = {"KERAS_BACKEND": "jax", "XLA_FLAGS": xla_flags("--xla_force_host_platform_device_count=2"),
           "PYTHONPATH": str(tmp_path)}
    common = [*RUN, "trainer.epochs=2", "trainer.callbacks=[{_target_: layout.Layout}]"]
    parallel = run_kexp([*common, "trainer.strategy=data_parallel", "trainer.batch_size=16",
                         "hydra.run.dir=parallel"], tmp_path, env=env)
    assert parallel.returncode == 0, parallel.stderr[-2000:]
    single = run_kexp([*common, "trainer.batch_size=32", "hydra.run.dir=single"], tmp_path, env=env)
    assert single.returncode == 0, single.stderr[-2000:]
    ours = pd.read_csv(tmp_path / "parallel" / "history.csv")
    theirs = pd.read_csv(tmp_path / "single" / "history.csv")
    assert ours["steps"].tolist() == theirs["steps"].tolist() == [2.0, 2.0]  # 64 training images
    assert ours[["mesh_devices", "batch_axis_sharded", "weight_shards", "weight_replicated"]].iloc[0].tolist() == \
        [2.0, 1.0, 2.0, 1.0]
    assert theirs["mesh_devices"].tolist() == [1.0, 1.0]  # the default strategy sets no distribution
    for column in ("loss", "val_loss", "accuracy"):
        np.testing.assert_allclose(ours[column], theirs[column], rtol=1e-5)
    metrics = [pd.read_csv(tmp_path / d / "metrics.csv").iloc[0] for d in ("parallel", "single")]
    np.testing.assert_allclose(metrics[0][["test_accuracy", "test_loss"]].astype(float),
                               metrics[1][["test_accuracy", "test_loss"]].astype(float), rtol=1e-5)
    log = (tmp_path / "parallel" / "kexp.log").read_text()
    assert "DataParallel over 2 devices: cpu:0, cpu:1" in log
    assert "trainer.strategy=data_parallel: batch_size 16 per device, global batch 32" in log


def test_data_parallel_with_batches_that_do_not_split_evenly(tmp_path):
    """Digits arrays, 2 devices, global batch 16: the 4 training images left at each epoch's end
    are not fed; all 20 validation images count once (the last batch padded with weight 0), so
    the epoch's val scores equal the saved model's on the validation split on one device (here
    TensorFlow); the test split of 45 is evaluated whole."""
    from kexp.data import load_data
    from kexp.runs.saved import load_model

    env = {"KERAS_BACKEND": "jax", "XLA_FLAGS": xla_flags("--xla_force_host_platform_device_count=2")}
    overrides = [*TINY_RUN, "data.train_size=200", "data.test_size=45", "trainer.epochs=1",
                 "trainer.strategy=data_parallel", "trainer.batch_size=8"]
    result = run_kexp([*overrides, "trainer.save_model=true", "hydra.run.dir=run"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    log = (tmp_path / "run" / "kexp.log").read_text()
    assert "per epoch 11 whole batches (4 training samples left out of each epoch; validation: all 20" in log
    per_class = pd.read_csv(tmp_path / "run" / "per_class.csv")
    assert per_class["support"].sum() == 45
    last = pd.read_csv(tmp_path / "run" / "history.csv").iloc[-1]
    val = load_data(typed_config(overrides).data, seed=0).val
    assert len(val) == 20
    scores = load_model(tmp_path / "run").evaluate(val.x, val.y, verbose=0, return_dict=True)
    assert last["val_accuracy"] * 20 == pytest.approx(round(last["val_accuracy"] * 20), abs=1e-4)
    assert scores["accuracy"] == pytest.approx(last["val_accuracy"], abs=1e-6)
    assert scores["loss"] == pytest.approx(last["val_loss"], rel=1e-4)


def test_data_parallel_validates_a_split_smaller_than_one_global_batch(tmp_path):
    """300 digits → 30 validation samples, global batch 64 on 2 devices: once refused, now one
    padded batch."""
    env = {"KERAS_BACKEND": "jax", "XLA_FLAGS": xla_flags("--xla_force_host_platform_device_count=2")}
    result = run_kexp(["model=mlp", "model.hidden_units=[16]", "data.train_size=300", "data.test_size=50",
                       "trainer.epochs=1", "trainer.strategy=data_parallel", "trainer.save_model=false",
                       "hydra.run.dir=run"], tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert pd.read_csv(tmp_path / "run" / "history.csv")["val_accuracy"].notna().all()


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


def test_the_previous_runs_model_is_freed_when_the_next_run_starts_though_startup_objects_are_frozen():
    import gc
    import weakref

    start_backend(0)  # (the first start of a process freezes what exists: modules, Hydra's state)
    assert gc.get_freeze_count() > 10_000
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(np.zeros((8, 4)), np.zeros((8, 2)), epochs=1, verbose=0)
    gone = weakref.ref(model)
    frozen = gc.get_freeze_count()
    del model
    assert gone() is not None  # (a Keras model is a web of reference cycles: only a collection frees it)
    start_backend(1)
    assert gone() is None
    assert gc.get_freeze_count() == frozen  # (frozen once: a run's objects stay collectable)
