"""Augmentation layers: present when asked for, active in training only."""

import keras
import numpy as np
import pytest

from kexp.config.errors import ConfigError
from kexp.models import build_model
from kexp.models.augment import Augmentation, resolve_flip
from tests.conftest import TINY_CNN, typed_config


def build(overrides, shape=(28, 28, 1)):
    cfg = typed_config([*TINY_CNN, *overrides])
    return build_model(cfg.model, shape, 10, resolve_flip(cfg.regularization, cfg.data.flippable))


def test_the_preset_adds_the_layers_and_digits_get_no_flip():
    names = [layer.name for layer in build(["regularization=augment"]).layers]
    assert names[:3] == ["augment_translate", "augment_rotate", "augment_zoom"]
    cifar = build(["regularization=augment", "data=cifar10"], shape=(32, 32, 3))
    assert cifar.layers[0].name == "augment_flip"
    assert [layer.name for layer in build([]).layers][0] == "conv1"


def test_augmentation_changes_training_inputs_but_not_predict():
    model = build(["regularization.augment.translate=0.2", "regularization.augment.rotate=0.1"])
    augmented = keras.Model(model.inputs[0], model.get_layer("augment_rotate").output)
    x = np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32")
    trained_on = keras.ops.convert_to_numpy(augmented(x, training=True))
    assert np.abs(trained_on - x).mean() > 0.05
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(augmented(x, training=False)), x)
    # predict sees the images as they are: same output as the net without augmentation.
    plain = build([])
    plain.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), plain.predict(x, verbose=0), atol=1e-6)


def test_every_family_accepts_augmentation():
    for name in ("mlp", "resnet20", "googlenet"):
        cfg = typed_config([f"model={name}", "regularization.augment.zoom=0.1"])
        model = build_model(cfg.model, (32, 32, 3), 10, cfg.regularization)
        assert any(layer.name == "augment_zoom" for layer in model.layers) or \
            any(layer.name == "augment_zoom" for layer in model.network.layers), name


def test_tabular_data_cannot_be_augmented():
    with pytest.raises(ConfigError, match=r"regularization.augment=.* — needs images"):
        Augmentation(zoom=0.1).layers((10,))
