"""RReLU, Maxout and the option-A shortcut: their maths, checked against NumPy."""

import keras
import numpy as np
import pytest

from kexp.models.layers import ChannelPad, Maxout, RReLU, SparsityPenalty, SqueezeExcite, Step

X = np.array([[-4.0, -1.0, 0.0, 2.0, -8.0, 3.0]], dtype="float32")


def test_rrelu_uses_the_mean_slope_at_inference():
    layer = RReLU(lower=0.1, upper=0.3)
    out = keras.ops.convert_to_numpy(layer(X, training=False))
    np.testing.assert_allclose(out, np.where(X >= 0, X, 0.2 * X), rtol=1e-6)


def test_rrelu_draws_a_slope_per_element_in_training():
    layer = RReLU(lower=0.1, upper=0.3, seed=3)
    x = -np.ones((200, 50), dtype="float32")
    slopes = -keras.ops.convert_to_numpy(layer(x, training=True))
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert slopes.std() > 0.05  # U(0.1, 0.3) has std 0.0577; a shared slope would give 0
    assert abs(slopes.mean() - 0.2) < 0.005
    positives = keras.ops.convert_to_numpy(layer(-x, training=True))
    np.testing.assert_array_equal(positives, -x)  # positive inputs pass unchanged


def test_maxout_takes_the_max_of_each_group_of_pieces():
    out = keras.ops.convert_to_numpy(Maxout(pieces=2)(X))
    np.testing.assert_array_equal(out, [[-1.0, 2.0, 3.0]])
    out3 = keras.ops.convert_to_numpy(Maxout(pieces=3)(X))
    np.testing.assert_array_equal(out3, [[0.0, 3.0]])
    assert Maxout(pieces=2).compute_output_shape((None, 8, 8, 6)) == (None, 8, 8, 3)


def test_maxout_rejects_channels_that_do_not_split():
    with pytest.raises(ValueError, match="do not split into 4 pieces"):
        Maxout(pieces=4)(X)


def test_channel_pad_subsamples_and_zero_pads_channels():
    x = np.arange(2 * 4 * 4 * 2, dtype="float32").reshape(2, 4, 4, 2)
    out = keras.ops.convert_to_numpy(ChannelPad(channels=6, stride=2)(x))
    assert out.shape == (2, 2, 2, 6)
    np.testing.assert_array_equal(out[..., 2:4], x[:, ::2, ::2, :])
    assert not out[..., :2].any() and not out[..., 4:].any()


def test_step_is_heaviside_and_passes_no_gradient():
    """001: 0 below zero, 1 from zero on; its derivative is 0, so nothing below it learns."""
    step = Step()
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(step(X)), [[0, 0, 1, 1, 0, 1]])
    # (the step's inputs all 1, so the layer above gets ones: with random ones, all four fell below
    # zero for some draws, and the layer above got zeros and no gradient either)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, kernel_initializer="zeros",
                                                                   bias_initializer="ones", name="below"),
                              Step(), keras.layers.Dense(2, name="above")])
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(X) ** 2)
    below, bias, above, above_bias = tape.gradient(loss, model.trainable_variables)
    assert below is not None and not np.any(below) and not np.any(bias)  # zero, not missing
    assert np.any(above)  # the layer above the step still learns


def test_squeeze_excite_scales_each_channel_by_its_gate():
    """Hu et al. 2018: s = sigmoid(W2 relu(W1 mean(x))), y = x * s per channel; with 16 channels and
    ratio 1/4: 16·4+4 + 4·16+16 = 148 weights."""
    x = np.random.default_rng(0).random((2, 5, 5, 16), dtype=np.float32)
    layer = SqueezeExcite(0.25)
    y = keras.ops.convert_to_numpy(layer(x))
    assert layer.count_params() == 16 * 4 + 4 + 4 * 16 + 16
    w1, b1, w2, b2 = (keras.ops.convert_to_numpy(w) for w in layer.weights)
    gate = 1 / (1 + np.exp(-(np.maximum(x.mean(axis=(1, 2)) @ w1 + b1, 0) @ w2 + b2)))
    np.testing.assert_allclose(y, x * gate[:, None, None, :], rtol=1e-5)


@pytest.mark.parametrize("layer", [RReLU(0.05, 0.2), Maxout(3), ChannelPad(8, 2), Step(), SqueezeExcite(0.5),
                                   SparsityPenalty(0.1, 0.5)])
def test_layers_survive_a_config_round_trip(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_the_sparsity_penalty_is_the_kl_divergence_of_the_mean_activations():
    """weight · Σ_j [ρ log(ρ/ρ̂_j) + (1-ρ) log((1-ρ)/(1-ρ̂_j))], ρ̂_j the batch mean of unit j; zero
    when every unit fires at the target rate."""
    a = np.array([[0.1, 0.9, 0.5], [0.3, 0.7, 0.5]], dtype="float32")
    model = keras.Sequential([keras.Input((3,)), SparsityPenalty(0.2, 0.5)])
    model(a)
    rate = a.mean(axis=0)
    expected = 0.5 * np.sum(0.2 * np.log(0.2 / rate) + 0.8 * np.log(0.8 / (1 - rate)))
    assert float(model.losses[0]) == pytest.approx(expected, rel=1e-5)
    model(np.full((4, 3), 0.2, dtype="float32"))
    assert float(model.losses[0]) == pytest.approx(0.0, abs=1e-6)
