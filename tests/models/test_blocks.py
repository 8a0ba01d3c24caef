"""The layer factory: activations, initializers and regularization in every builder."""

import keras
import numpy as np
import pytest

from kexp.config.errors import ConfigError
from kexp.config.choices import ACTIVATIONS
from kexp.models.blocks import INITIALIZERS, LayerFactory
from kexp.models.layers import Maxout, RReLU
from tests.conftest import typed_config


def factory(overrides=()):
    cfg = typed_config(["model=cnn", *overrides])
    return LayerFactory.from_settings(cfg.model, cfg.regularization)


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
        "kexp: config error: model.kernel_initializer=xavier_magic — unknown; use xavier, he (the course's) "
        "or a Keras initializer name such as glorot_uniform, glorot_normal, he_normal")


def test_regularization_overrides_the_model_design():
    assert factory().dropout == 0 and factory().batchnorm is False
    alexnet = typed_config(["model=alexnet"])
    assert LayerFactory.from_settings(alexnet.model, alexnet.regularization).dropout == 0.5
    off = typed_config(["model=alexnet", "regularization.dropout=0"])
    assert LayerFactory.from_settings(off.model, off.regularization).dropout == 0
    bn = typed_config(["model=bn_cnn", "regularization.batchnorm=false"])
    assert LayerFactory.from_settings(bn.model, bn.regularization).batchnorm is False


@pytest.mark.parametrize("model, shape", [
    (["model=resnet20", "model.stackwise_blocks=[1,1,1]"], (8, 8, 3)),  # global pooling, then the classifier
    (["model=bn_cnn", "model.filters=[4,4]"], (8, 8, 1)),  # flatten, then the classifier
    (["model=mlp", "model.hidden_units=[]"], (8, 8, 1)),
])
def test_a_net_without_hidden_dense_layers_drops_out_what_its_classifier_reads(model, shape):
    """``regularization.dropout`` acts after each hidden dense layer; a net without one (timm's ``drop_rate``)
    drops out the classifier's input — before, it was read by nothing, and the run trained the same net."""
    from kexp.models import build_model

    cfg = typed_config([*model, "regularization.dropout=0.3"])
    net = build_model(cfg.model, shape, 3, cfg.regularization)
    names = [layer.name for layer in net.layers]
    assert names[-2:] == ["head_dropout", "predictions"] and net.get_layer("head_dropout").rate == pytest.approx(0.3)
    plain = typed_config(model)
    assert [layer.name for layer in build_model(plain.model, shape, 3, plain.regularization).layers] == [
        n for n in names if n != "head_dropout"]  # (and so the same parameter count)
    x = np.random.default_rng(0).normal(size=(4, *shape)).astype("float32")
    np.testing.assert_allclose(net(x, training=False), net(x, training=False))
    assert not np.allclose(net(x, training=True), net(x, training=False))


def test_the_factory_refuses_what_the_family_has_no_place_for_from_python_too():
    vit = typed_config(["model=vit_tiny_p4", "regularization=batchnorm"])
    with pytest.raises(ConfigError, match="^regularization.batchnorm=true — vit_tiny_p4 has no place for BatchN"):
        LayerFactory.from_settings(vit.model, vit.regularization)
    resnet = typed_config(["model=resnet20", "regularization=sparse"])
    with pytest.raises(ConfigError, match="^regularization.activity_l1=1e-05 — sparse regularization acts on"):
        LayerFactory.from_settings(resnet.model, resnet.regularization)
    assert LayerFactory.from_settings(resnet.model, typed_config(["model=resnet20"]).regularization).batchnorm


@pytest.mark.parametrize("overrides, penalty", [
    (["regularization=l1"], "L1"), (["regularization=l2"], "L2"), (["regularization=l1l2"], "L1L2"),
])
def test_weight_penalties_reach_every_kernel_and_the_loss(overrides, penalty):
    from kexp.models import build_model

    cfg = typed_config(["model.filters=[4]", "model.dense_units=[8]", *overrides])
    model = build_model(cfg.model, (28, 28, 1), 10, cfg.regularization)
    kernels = [layer for layer in model.layers if hasattr(layer, "kernel_regularizer")]
    assert kernels and all(type(k.kernel_regularizer).__name__ == penalty for k in kernels)
    model(np.zeros((1, 28, 28, 1), "float32"))
    l1, l2 = cfg.regularization.l1, cfg.regularization.l2
    expected = sum(l1 * np.abs(k.kernel.numpy()).sum() + l2 * np.square(k.kernel.numpy()).sum()
                   for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-4) and expected > 0


def test_the_leaky_relu_slope_is_a_key():
    make = factory(["model.activation=leaky_relu", "model.leaky_relu_slope=0.01"])
    layers = make.dense(3, "d")
    leaky = [layer for layer in layers if isinstance(layer, keras.layers.LeakyReLU)]
    assert len(leaky) == 1 and leaky[0].negative_slope == pytest.approx(0.01)
    out = keras.ops.convert_to_numpy(leaky[0](np.array([[-2.0, 3.0]], dtype="float32")))
    np.testing.assert_allclose(out, [[-0.02, 3.0]], rtol=1e-6)
    default = factory(["model.activation=leaky_relu"]).dense(3, "d")  # Keras's 0.2: fused into Dense
    assert default[0].activation.__name__ == "leaky_relu" and len(default) == 1


@pytest.mark.parametrize("name, scale", [("xavier", 1.0), ("he", 2.0)])
def test_the_course_initialisations_are_weights_over_root_n(name, scale):
    """001: Xavier = standard normal / √n, He = √2 × that, n = the nodes of the layer before."""
    make = factory([f"model.kernel_initializer={name}"])
    dense = make.dense(2000, "d")[0]
    dense.build((None, 400))
    weights = keras.ops.convert_to_numpy(dense.kernel)
    assert np.std(weights) == pytest.approx(np.sqrt(scale / 400), rel=0.02)
    assert np.abs(weights).max() > 2.5 * np.sqrt(scale / 400)  # an untruncated normal (Keras's he_normal cuts at 2σ)
    with pytest.raises(ConfigError, match="model.kernel_initializer=xavir — unknown; use xavier, he"):
        factory(["model.kernel_initializer=xavir"])


def test_pooling_strides_and_squeeze_excite_change_the_cnn_as_asked():
    from kexp.models import build_model
    from kexp.models.layers import SqueezeExcite

    cfg = typed_config(["model.pooling=avg", "model.strides=[1,2]", "model.se_ratio=0.25"])
    model = build_model(cfg.model, (28, 28, 1), 10, cfg.regularization)
    kinds = [type(layer).__name__ for layer in model.layers[:6]]
    assert kinds == ["Conv2D", "SqueezeExcite", "AveragePooling2D", "Conv2D", "SqueezeExcite", "AveragePooling2D"]
    assert model.get_layer("conv2").strides == (2, 2)
    # 28 → conv 5x5 → 24 → pool → 12 → conv 5x5 stride 2 → 4 → pool → 2: 2·2·128 into fc1
    assert model.get_layer("flatten").output.shape[-1] == 2 * 2 * 128
    assert isinstance(model.get_layer("conv1_se"), SqueezeExcite)
    assert model.get_layer("conv1_se").count_params() == 64 * 16 + 16 + 16 * 64 + 64
    vgg = typed_config(["model=vgg11", "model.pooling=avg"])
    pools = {type(layer).__name__ for layer in build_model(vgg.model, (32, 32, 3), 10, vgg.regularization).layers
             if "pool" in layer.name}
    assert pools == {"AveragePooling2D"}


def test_sparse_regularization_penalises_every_hidden_layers_activations():
    from kexp.models import build_model

    cfg = typed_config(["model=mlp", "model.activation=sigmoid", "regularization=sparse"])
    model = build_model(cfg.model, (8, 8, 1), 3, cfg.regularization)
    names = [layer.name for layer in model.layers]
    for hidden in ("fc1", "fc2"):
        assert names.index(f"{hidden}_activity_l1") == names.index(f"{hidden}_sparsity") - 1 > names.index(hidden)
    model(np.random.default_rng(0).random((4, 8, 8, 1), dtype=np.float32))
    assert len(model.losses) == 4 and all(float(loss) > 0 for loss in model.losses)
    plain = typed_config(["model=mlp"])
    assert not build_model(plain.model, (8, 8, 1), 3, plain.regularization).losses
