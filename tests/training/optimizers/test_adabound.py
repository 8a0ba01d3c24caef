"""AdaBound against a NumPy transcription of the paper's algorithm, and in training."""

import keras
import numpy as np
import pytest

from kexp.training.optimizers.adabound import AdaBound
from tests.training.optimizers.reference import THETA0, adabound_steps, keras_steps

STEPS = 30


@pytest.mark.parametrize("final_lr, gamma", [(0.1, 1e-3), (0.005, 0.1)])  # wide / clipping bounds
def test_matches_the_papers_update_rule_step_by_step(final_lr, gamma):
    ours = list(keras_steps(AdaBound(learning_rate=0.01, final_lr=final_lr, gamma=gamma), THETA0,
                            STEPS))
    reference = list(adabound_steps(THETA0, STEPS, lr=0.01, final_lr=final_lr, gamma=gamma))
    for step, (got, want) in enumerate(zip(ours, reference), start=1):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6, err_msg=f"step {step}")
    assert not np.allclose(ours[-1], THETA0, atol=0.01)


def test_the_bounds_change_the_path():
    loose = list(keras_steps(AdaBound(learning_rate=0.01, final_lr=0.1), THETA0, STEPS))[-1]
    tight = list(keras_steps(AdaBound(learning_rate=0.01, final_lr=0.005, gamma=0.1), THETA0,
                             STEPS))[-1]
    assert np.abs(loose - tight).max() > 1e-3


def test_config_round_trips():
    clone = AdaBound.from_config(AdaBound(final_lr=0.05, gamma=0.01).get_config())
    assert (clone.final_lr, clone.gamma) == (0.05, 0.01)


def test_learns_a_small_classifier():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] - x[:, 2] > 0).astype("int64")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=AdaBound(learning_rate=0.01, final_lr=0.1),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["accuracy"][-1] > 0.9
