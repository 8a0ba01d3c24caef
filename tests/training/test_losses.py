"""Label smoothing for integer labels, against the formula."""

import keras
import numpy as np
import pytest

from kexp.training.losses import SparseCategoricalCrossentropyWithSmoothing


def test_label_smoothing_changes_the_loss_by_the_formula():
    y = np.array([0, 2])
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype="float32")
    smoothed = SparseCategoricalCrossentropyWithSmoothing(0.3)
    targets = np.eye(3)[y] * 0.7 + 0.1  # (1 − ε)·onehot + ε/3
    expected = np.mean(-(targets * np.log(p)).sum(axis=1))
    assert float(smoothed(y, p)) == pytest.approx(expected, rel=1e-5)
    plain = float(keras.losses.SparseCategoricalCrossentropy()(y, p))
    assert float(smoothed(y, p)) > plain + 0.05
    assert float(SparseCategoricalCrossentropyWithSmoothing(0.0)(y, p)) == pytest.approx(plain, rel=1e-5)


def test_it_round_trips_through_its_config():
    clone = SparseCategoricalCrossentropyWithSmoothing.from_config(
        SparseCategoricalCrossentropyWithSmoothing(0.2).get_config())
    assert clone.label_smoothing == 0.2
