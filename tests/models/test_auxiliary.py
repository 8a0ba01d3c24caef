"""GoogLeNet's auxiliary heads: their losses are weighted per sample like the main one's."""

import keras
import numpy as np
import pytest

from kexp.models.auxiliary import AuxiliaryLossModel


def two_heads():
    inputs = keras.Input((4,))
    main = keras.layers.Dense(3, activation="softmax", name="main")(inputs)
    aux = keras.layers.Dense(3, activation="softmax", name="aux")(inputs)
    return AuxiliaryLossModel(keras.Model(inputs, [main, aux]), aux_weight=0.3)


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", keras.losses.SparseCategoricalCrossentropy()])
def test_sample_weights_count_in_the_auxiliary_loss_as_in_the_main_one(loss):
    model = two_heads()
    model.compile(optimizer="sgd", loss=loss)
    x = np.random.default_rng(0).random((4, 4), dtype=np.float32)
    y = np.array([0, 1, 2, 1])
    weights = np.array([1.0, 0.0, 2.0, 0.0], dtype="float32")
    main, aux = (keras.ops.convert_to_numpy(t) for t in model.network(x))
    per_sample = lambda p: -np.log(p[np.arange(4), y])  # noqa: E731
    expected = np.mean(per_sample(main) * weights) + 0.3 * np.mean(per_sample(aux) * weights)
    got = model.compute_loss(x, y, list(model.network(x)), sample_weight=weights)
    assert float(got) == pytest.approx(expected, rel=1e-5)
    unweighted = model.compute_loss(x, y, list(model.network(x)))
    assert float(unweighted) == pytest.approx(np.mean(per_sample(main)) + 0.3 * np.mean(per_sample(aux)), rel=1e-5)
