"""The multilayer perceptron."""

import keras

from kexp.models import build_model
from tests.conftest import typed_config


def test_mlp_flattens_the_image_and_uses_config_widths():
    cfg = typed_config(["model=mlp", "model.hidden_units=[100,50]", "model.activation=tanh"])
    model = build_model(cfg.model, (28, 28, 1), 10, cfg.regularization)
    assert model.get_layer("flatten").output.shape == (None, 784)
    assert [model.get_layer(n).units for n in ("fc1", "fc2", "predictions")] == [100, 50, 10]
    assert model.get_layer("fc1").activation.__name__ == "tanh"
    assert model.count_params() == (784 * 100 + 100) + (100 * 50 + 50) + (50 * 10 + 10)


def test_mlp_dropout_after_each_hidden_layer():
    cfg = typed_config(["model=mlp", "regularization=dropout"])
    model = build_model(cfg.model, (8, 8, 1), 3, cfg.regularization)
    dropouts = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert [d.name for d in dropouts] == ["fc1_dropout", "fc2_dropout"]
    assert all(d.rate == 0.5 for d in dropouts)
