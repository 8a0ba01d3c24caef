"""The same configs on the JAX backend (``KERAS_BACKEND=jax``), in fresh processes."""

import os
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import REPO, TINY_CNN, TINY_DATA, run_kexp

JAX = {"KERAS_BACKEND": "jax"}


def test_a_short_training_runs_under_jax(tmp_path):
    result = run_kexp([*TINY_CNN, *TINY_DATA, "trainer.epochs=2", "regularization.dropout=0.2",
                       "hydra.run.dir=run"], tmp_path, env=JAX)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "backend jax" in result.stdout
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    assert history["epoch"].tolist() == [1, 2]
    assert history["loss"].iloc[1] < history["loss"].iloc[0]
    assert pd.read_csv(tmp_path / "run" / "metrics.csv")["status"].iloc[0] == "ok"


EVERY_MODEL_AND_OPTIMIZER = """
import numpy as np, keras
from tests.conftest import compose_config
from kexp.config_dir import config_dir
from kexp.models import build_model
from kexp.optimizers import build_optimizer
assert keras.backend.backend() == "jax"
x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
y = np.array([0, 9])
optimizers = sorted(p.stem for p in (config_dir() / "optimizer").glob("*.yaml"))
names = sys.argv[1:] or sorted(p.stem for p in (config_dir() / "model").glob("*.yaml"))
jobs = [(name, "adam") for name in names] + [("mlp", opt) for opt in optimizers]
for name, optimizer in jobs:
    cfg = compose_config([f"model={name}", f"optimizer={optimizer}"])
    model = build_model(cfg.model, (28, 28, 1), 10, cfg.regularization)
    model.compile(optimizer=build_optimizer(cfg.optimizer), loss="sparse_categorical_crossentropy")
    loss = float(model.train_on_batch(x, y))
    assert np.isfinite(loss), name
    print(name, optimizer, round(loss, 3))
"""

#: One model of each family (every builder) — XLA compiles each under JAX.
ONE_PER_FAMILY = ["cnn", "mlp", "bn_cnn", "alexnet", "vgg11", "googlenet", "resnet18", "resnet20", "plain20"]


def train_one_step_each(names: list[str]) -> list[str]:
    result = subprocess.run([sys.executable, "-c", "import sys\n" + EVERY_MODEL_AND_OPTIMIZER, *names],
                            cwd=REPO, env={**os.environ, **JAX}, capture_output=True, text=True,
                            timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    return [line.split()[0] for line in result.stdout.splitlines()]


def test_every_builder_and_optimizer_trains_a_step_under_jax():
    trained = train_one_step_each(ONE_PER_FAMILY)
    assert trained[: len(ONE_PER_FAMILY)] == ONE_PER_FAMILY
    assert len(trained) == len(ONE_PER_FAMILY) + 11  # then mlp with each of the 11 optimizers


@pytest.mark.slow
def test_every_model_trains_a_step_under_jax():
    trained = train_one_step_each([])
    assert {"vgg19", "resnet152", "resnet110", "plain110"} <= set(trained) and len(trained) >= 24 + 11
