"""The layer factory: activations, initializers and regularization in every builder."""

import keras
import numpy as np
import pytest

from kexp.config.errors import ConfigError
from kexp.config.choices import ACTIVATIONS
from kexp.models.blocks import INITIALIZERS, LayerFactory
from kexp.models.layers import Maxout, RReLU
from tests.conftest import compose_config


def factory(overrides=()):
    cfg = compose_config(["model=cnn", *overrides])
    return LayerFactory.from_config(cfg.model, cfg.regularization)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_resolves_and_runs(name):
    make = factory([f"model.activation={name}"])
    layers = make.conv(4, 3, "c") + [keras.layers.Flatten()] + make.dense(6, "d")
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 1)).astype("float32")
    for layer in layers:
        x = layer(x)
    assert x.shape == (2, 6)  # maxout: the conv/dense compute pieces x width first
    kinds = {type(layer) for layer in layers}
    if name == "maxout":
        assert Maxout in kinds and layers[0].filters == 8
    if name == "rrelu":
        assert RReLU in kinds
    if name == "prelu":
        assert keras.layers.PReLU in kinds


@pytest.mark.parametrize("name", INITIALIZERS)
def test_every_initializer_resolves(name):
    conv = factory([f"model.kernel_initializer={name}"]).conv(4, 3, "c")[0]
    conv.build((None, 5, 5, 1))
    assert type(conv.kernel_initializer) is type(keras.initializers.get(name))


def test_he_normal_draws_with_the_he_scale():
    keras.utils.set_random_seed(0)
    dense = factory(["model.kernel_initializer=he_normal"]).dense(400, "d")[0]
    dense.build((None, 1000))
    std = float(np.std(keras.ops.convert_to_numpy(dense.kernel)))
    assert std == pytest.approx(np.sqrt(2 / 1000), rel=0.1)  # truncated normal, fan_in 1000


def test_unknown_initializer_is_one_clear_line():
    with pytest.raises(ConfigError) as err:
        factory(["model.kernel_initializer=xavier_magic"])
    assert err.value.one_line().startswith(
        "kexp: config error: model.kernel_initializer=xavier_magic — unknown; use a Keras "
        "initializer name such as glorot_uniform, glorot_normal, he_normal")


def test_regularization_overrides_the_model_design():
    assert factory().dropout == 0 and factory().batchnorm is False
    alexnet = compose_config(["model=alexnet"])
    assert LayerFactory.from_config(alexnet.model, alexnet.regularization).dropout == 0.5
    off = compose_config(["model=alexnet", "regularization.dropout=0"])
    assert LayerFactory.from_config(off.model, off.regularization).dropout == 0
    bn = compose_config(["model=bn_cnn", "regularization.batchnorm=false"])
    assert LayerFactory.from_config(bn.model, bn.regularization).batchnorm is False


@pytest.mark.parametrize("overrides, penalty", [
    (["regularization=l1"], "L1"), (["regularization=l2"], "L2"), (["regularization=l1l2"], "L1L2"),
])
def test_weight_penalties_reach_every_kernel_and_the_loss(overrides, penalty):
    from kexp.models import build_model

    cfg = compose_config(["model.filters=[4]", "model.dense_units=[8]", *overrides])
    model = build_model(cfg.model, (28, 28, 1), 10, cfg.regularization)
    kernels = [layer for layer in model.layers if hasattr(layer, "kernel_regularizer")]
    assert kernels and all(type(k.kernel_regularizer).__name__ == penalty for k in kernels)
    model(np.zeros((1, 28, 28, 1), "float32"))
    l1, l2 = cfg.regularization.l1, cfg.regularization.l2
    expected = sum(l1 * np.abs(k.kernel.numpy()).sum() + l2 * np.square(k.kernel.numpy()).sum()
                   for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-4) and expected > 0
