"""RAdam against a NumPy transcription of the paper's algorithm, and in training."""

import keras
import numpy as np
import pytest

from kexp.training.optimizers.radam import RAdam
from tests.training.optimizers.reference import THETA0, keras_steps, radam_steps

STEPS = 30  # ρ_t crosses 4 at t = 6 with β2 = 0.999: both branches are exercised


def test_matches_the_papers_update_rule_step_by_step():
    ours = list(keras_steps(RAdam(learning_rate=0.01), THETA0, STEPS))
    reference = list(radam_steps(THETA0, STEPS, lr=0.01))
    for step, (got, want) in enumerate(zip(ours, reference), start=1):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6, err_msg=f"step {step}")
    assert not np.allclose(ours[-1], THETA0, atol=0.05)  # it really moved


def test_first_steps_are_plain_momentum():
    # While ρ_t ≤ 4 the step is lr · m̂_t = lr · g on the first step, whatever its scale.
    (theta,) = keras_steps(RAdam(learning_rate=0.1), THETA0, 1)
    from tests.training.optimizers.reference import gradient

    np.testing.assert_allclose(theta, THETA0 - 0.1 * gradient(THETA0), atol=1e-12)


def test_config_round_trips():
    optimizer = RAdam(learning_rate=0.002, beta_2=0.99, rho_threshold=5.0)
    clone = RAdam.from_config(optimizer.get_config())
    assert (clone.beta_2, clone.rho_threshold, float(clone.learning_rate)) == \
        (0.99, 5.0, pytest.approx(0.002))


def test_learns_a_small_classifier():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=RAdam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["accuracy"][-1] > 0.9
