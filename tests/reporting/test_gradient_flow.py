"""Gradient flow: norms against a direct computation, and the files a run writes."""

import keras
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from kexp.data import Split
from kexp.reporting.gradient_flow import fixed_batch, gradient_rows, kernels
from tests.conftest import TINY_CNN, run_in_process


def test_gradient_norms_equal_the_analytic_gradient():
    # y = x·A·B (linear, no bias), loss = mean((y − t)²): dL/dB = 2/N (xA)ᵀr, dL/dA = 2/N xᵀ r Bᵀ
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=16).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False, name="a"),
                              keras.layers.Dense(1, use_bias=False, name="b")])
    model.compile(optimizer="sgd", loss="mean_squared_error")
    a, b = (keras.ops.convert_to_numpy(k) for _, k in kernels(model))
    r = x @ a @ b - t[:, None]
    grad_b = 2 / 16 * (x @ a).T @ r
    grad_a = 2 / 16 * x.T @ r @ b.T
    rows = gradient_rows(model, x, t, epoch=4)
    assert [(row["layer"], row["depth"], row["epoch"]) for row in rows] == [("a", 0, 4), ("b", 1, 4)]
    assert rows[0]["grad_norm"] == pytest.approx(np.linalg.norm(grad_a), rel=1e-5)
    assert rows[1]["grad_norm"] == pytest.approx(np.linalg.norm(grad_b), rel=1e-5)
    assert rows[1]["weight_norm"] == pytest.approx(np.linalg.norm(b), rel=1e-6)


def test_the_fixed_batch_is_the_same_every_time():
    x, y = np.arange(1000).reshape(500, 2), np.arange(500)
    split = Split(x, y)
    first, again = fixed_batch(split, size=64, seed=3), fixed_batch(split, size=64, seed=3)
    assert np.array_equal(first[0], again[0]) and len(first[1]) == 64


def test_a_run_with_diagnostics_writes_gradients_csv_and_png(tmp_path):
    run_in_process([*TINY_CNN, "data.train_size=100", "data.test_size=50", "trainer.epochs=2",
                    "trainer.save_model=false", "trainer.gradient_flow=true"], tmp_path)
    table = pd.read_csv(tmp_path / "gradients.csv")
    assert list(table.columns) == ["epoch", "layer", "depth", "grad_norm", "weight_norm"]
    assert table["epoch"].unique().tolist() == [0, 1, 2]  # before training, after each epoch
    assert table[table["epoch"] == 0]["layer"].tolist() == ["conv1", "conv2", "fc1", "predictions"]
    assert (table["grad_norm"] > 0).all() and np.isfinite(table["grad_norm"]).all()
    assert matplotlib.image.imread(tmp_path / "gradients.png").shape[:2] == (500, 900)


def test_without_diagnostics_nothing_is_measured(tmp_path):
    run_in_process([*TINY_CNN, "data.train_size=100", "data.test_size=50", "trainer.epochs=1",
                    "trainer.save_model=false"], tmp_path)
    assert not (tmp_path / "gradients.csv").exists()


def test_measuring_in_training_mode_leaves_batchnorm_statistics_alone():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d"),
                              keras.layers.BatchNormalization(name="bn"),
                              keras.layers.Dense(2, activation="softmax", name="out")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(1).normal(3.0, 2.0, size=(32, 4)).astype("float32")
    before = [keras.ops.convert_to_numpy(v).copy() for v in model.non_trainable_variables]
    rows = gradient_rows(model, x, np.arange(32) % 2, epoch=0)
    after = [keras.ops.convert_to_numpy(v) for v in model.non_trainable_variables]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert [r["layer"] for r in rows] == ["d", "out"] and rows[0]["grad_norm"] > 0
