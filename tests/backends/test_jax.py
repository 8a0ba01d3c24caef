"""The same configs on the JAX backend (``KERAS_BACKEND=jax``), in fresh processes."""

import os
import subprocess
import sys

import pandas as pd
import pytest

from kexp.config.location import config_dir
from tests.conftest import REPO, TINY_CNN, run_kexp, write_image_tree

JAX = {"KERAS_BACKEND": "jax"}


def test_a_short_training_runs_under_jax(tmp_path):
    # The recipe options that need no TensorFlow, together: augmentation layers,
    # label smoothing, a schedule, class weights, early stopping, a checkpoint, on
    # image files streamed through keras.utils.PyDataset (Pillow decoding, no tf.data).
    photos = write_image_tree(tmp_path / "photos", per_class=10)
    result = run_kexp([*TINY_CNN, "data=folder", f"data.path={photos}", "data.image_size=[28,28]",
                       "data.color_mode=grayscale", "trainer.epochs=2", "regularization.dropout=0.2",
                       "regularization=augment", "regularization.label_smoothing=0.1",
                       "schedule=step", "schedule.milestones=[1]", "trainer.class_weight=balanced",
                       "regularization.early_stopping.patience=3", "trainer.checkpoint.best=true",
                       "trainer.gradient_flow=true", "hydra.run.dir=run"], tmp_path, env=JAX)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "backend jax" in result.stdout
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    assert history["epoch"].tolist() == [1, 2]
    assert history["learning_rate"].tolist() == pytest.approx([3e-4, 3e-5])
    assert (tmp_path / "run" / "checkpoints" / "best.keras").is_file()
    gradients = pd.read_csv(tmp_path / "run" / "gradients.csv")  # jax.grad through stateless_call
    assert gradients["epoch"].unique().tolist() == [0, 1, 2] and (gradients["grad_norm"] > 0).all()
    assert pd.read_csv(tmp_path / "run" / "metrics.csv")["status"].iloc[0] == "ok"
    per_class = pd.read_csv(tmp_path / "run" / "per_class.csv")
    assert per_class["name"].tolist() == ["cat", "dog", "owl"] and per_class["support"].sum() == 6


EVERY_MODEL_AND_OPTIMIZER = """
import numpy as np, keras
from tests.conftest import typed_config
from kexp.config.location import config_dir
from kexp.models import build_model
from kexp.training.optimizers import build_optimizer
assert keras.backend.backend() == "jax"
x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
y = np.array([0, 9])
optimizers = sorted(p.stem for p in (config_dir() / "optimizer").glob("*.yaml"))
# each argument: a model, or a model and its overrides joined by "|"
models = [arg.split("|") for arg in sys.argv[1:]] or \
    [[p.stem] for p in sorted((config_dir() / "model").glob("*.yaml")) if not p.stem.startswith("_")]
# models: compiled by XLA; optimizers on a tiny mlp: eager steps run the same keras.ops code
# without one XLA compile per optimizer (test_a_short_training_runs_under_jax compiles Adam's)
jobs = [(name, "adam", extra, False) for name, *extra in models] + \
    [("mlp", opt, ["model.hidden_units=[8]"], True) for opt in optimizers]
for name, optimizer, extra, eager in jobs:
    cfg = typed_config([f"model={name}", f"optimizer={optimizer}", *extra])
    model = build_model(cfg.model, (28, 28, 1), 10, cfg.regularization)
    model.compile(optimizer=build_optimizer(cfg.optimizer), loss="sparse_categorical_crossentropy",
                  run_eagerly=eager)
    loss = float(model.train_on_batch(x, y))
    assert np.isfinite(loss), name
    print(name, optimizer, round(loss, 3))
"""

#: The models whose layers go beyond Conv/Dense/BatchNorm/pooling (which the short
#: training above runs under JAX): GoogLeNet's auxiliary-loss model and Inception
#: modules, the CIFAR ResNet's channel padding (projections are plain Conv+BN).
#: Every builder trains a step on TensorFlow (tests/models/test_zoo.py); every model
#: under JAX is the slow test below. XLA compiles each, so the default list is short,
#: and GoogLeNet is cut to one module a stage, both auxiliary heads kept, all of one
#: width: on JAX each new kernel shape compiles its initializer (Table 1's 168 shapes
#: took 40 s of its 66 s on 2 CPU cores).
SMALL_GOOGLENET = "googlenet|model.stages=[[[16,8,16,4,8,8]],[[16,8,16,4,8,8],[16,8,16,4,8,8]],[[16,8,16,4,8,8]]]" \
    "|model.aux_after=[4a,4b]"
ONE_PER_FAMILY = [SMALL_GOOGLENET, "resnet20"]


def train_one_step_each(models: list[str]) -> list[str]:
    result = subprocess.run([sys.executable, "-c", "import sys\n" + EVERY_MODEL_AND_OPTIMIZER, *models],
                            cwd=REPO, env={**os.environ, **JAX}, capture_output=True, text=True,
                            timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    return [line.split()[0] for line in result.stdout.splitlines()]


def test_every_builder_and_optimizer_trains_a_step_under_jax():
    trained = train_one_step_each(ONE_PER_FAMILY)
    assert trained[: len(ONE_PER_FAMILY)] == ["googlenet", "resnet20"]
    optimizers = len(list((config_dir() / "optimizer").glob("*.yaml")))
    assert optimizers >= 13  # the 11 of Keras plus kexp's RAdam and AdaBound
    assert len(trained) == len(ONE_PER_FAMILY) + optimizers  # then mlp with each optimizer


@pytest.mark.slow
def test_every_model_trains_a_step_under_jax():
    trained = train_one_step_each([])
    assert {"vgg19", "resnet152", "resnet110", "plain110"} <= set(trained) and len(trained) >= 24 + 13


def test_a_diverging_run_stops_as_diverged_under_jax(tmp_path):
    # kexp's NaN check runs on Keras's callback thread under JAX (asynchronous batch ends);
    # Keras's own TerminateOnNaN there makes the JAX trainer fail ("Array has been deleted").
    result = run_kexp(["data=diabetes", "model=mlp", "task=regression", "optimizer=sgd",
                       "optimizer.learning_rate=1e12", "trainer.epochs=20", "hydra.run.dir=run"],
                      tmp_path, env=JAX)
    assert result.returncode == 3, result.stderr[-3000:]
    metrics = pd.read_csv(tmp_path / "run" / "metrics.csv").iloc[0]
    assert metrics["status"] == "diverged" and metrics["epochs"] <= 2
    # a regression has no classes (the log once said "0 classes")
    assert ", input 10, a numeric target" in (tmp_path / "run" / "kexp.log").read_text()


def test_averaged_weights_are_saved_under_jax(tmp_path):
    """use_ema on JAX: fit → evaluate → save used to fail with "Array has been deleted"
    (kexp.backends.jax.unshare_averaged_weights)."""
    result = run_kexp(["model=mlp", "model.hidden_units=[16]", "optimizer=lion", "+optimizer.use_ema=true",
                       "data.train_size=200", "data.test_size=50", "trainer.epochs=2", "hydra.run.dir=run"],
                      tmp_path, env=JAX)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "run" / "model.keras").is_file()
    assert pd.read_csv(tmp_path / "run" / "metrics.csv")["status"].iloc[0] == "ok"


SCANNED_CALLS = """
import logging, numpy as np, keras
from kexp.backends.jax import scanned_steps_reason, scanned_train_calls
from kexp.training.execution import FitBatches, set_steps_per_call
assert keras.backend.backend() == "jax"
logging.basicConfig(level=logging.INFO, format="%(message)s")
rng = np.random.default_rng(0)
x, y = rng.random((50 * 32 + 10, 12), dtype=np.float32), rng.integers(0, 3, 50 * 32 + 10)

def trained(steps, scan):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    # 51 batches an epoch, the last of 10: six whole calls of 8 and three batches one by one
    set_steps_per_call(model, steps, FitBatches(32, 51, 4000))
    assert scanned_steps_reason(model) == "on a CPU Keras's loop is as fast"  # (so set_steps_per_call left it)
    if scan:
        scanned_train_calls(model)
    at_calls = []  # the logs each call ends with (the NaN check and the progress bar read them)
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: at_calls.append(logs["loss"]))
    history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, callbacks=[record]).history
    return history, [w.numpy() for w in model.weights], at_calls

(one, one_weights, _), (eight, eight_weights, eight_calls) = trained(1, False), trained(8, True)
assert one == eight, (one, eight)
assert all(np.array_equal(a, b) for a, b in zip(one_weights, eight_weights))
(short, _, short_calls) = trained(8, False)  # Keras's loop of single steps
assert short == one and eight_calls == short_calls and len(short_calls) == 3 * 7, (eight_calls, short_calls)
print("same")
"""


def test_a_calls_batches_in_one_compiled_loop_train_exactly_as_one_batch_a_call():
    """kexp.backends.jax.scanned_train_calls (used on accelerators; forced here on the CPU): the
    fit's first calls run both ways (each compiled, then timed) and it keeps the faster; the
    history, every weight (dropout's random state included) and the logs each call ends with
    equal those of Keras's loop, with an epoch's last, shorter batches in between."""
    result = subprocess.run([sys.executable, "-c", SCANNED_CALLS], cwd=REPO, env={**os.environ, **JAX},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["same"]
    chosen = [line for line in result.stderr.splitlines() if "batches of a call run" in line]
    assert len(chosen) == 1, result.stderr[-3000:]  # (Keras's loop has none)
    assert "the 8 batches of a call run " in chosen[0]
    assert "as one compiled loop" in chosen[0] and "one by one" in chosen[0]
