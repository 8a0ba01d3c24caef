"""The slides' CNN: the worked convolution example, exact layers and parameter count."""

import keras
import numpy as np
import pytest

from kexp.models import MODELS, build_model
from tests.conftest import typed_config


def test_slides_convolution_worked_example():
    # Slide: kernel [[1,1,1],[2,0,1],[-1,-1,0]], bias 3, input 1..16 (4x4) -> [[7,11],[23,27]].
    conv = keras.layers.Conv2D(1, 3)
    conv.build((1, 4, 4, 1))
    kernel = np.array([[1, 1, 1], [2, 0, 1], [-1, -1, 0]], dtype="float32")
    conv.set_weights([kernel.reshape(3, 3, 1, 1), np.array([3.0], dtype="float32")])
    image = np.arange(1, 17, dtype="float32").reshape(1, 4, 4, 1)
    out = keras.ops.convert_to_numpy(conv(image))[0, :, :, 0]
    np.testing.assert_array_equal(out, [[7, 11], [23, 27]])


def build(overrides=(), input_shape=(28, 28, 1), num_classes=10):
    cfg = typed_config(["model=cnn", *overrides])
    return build_model(cfg.model, input_shape, num_classes, cfg.regularization)


def test_cnn_is_the_slides_net_exactly():
    model = build()
    assert isinstance(model, keras.Sequential)
    assert [layer.name for layer in model.layers] == [
        "conv1", "max_pool1", "conv2", "max_pool2", "flatten", "fc1", "fc2", "predictions"]
    assert model.count_params() == 6_511_370
    conv1, conv2 = model.get_layer("conv1"), model.get_layer("conv2")
    assert (conv1.filters, conv1.kernel_size, conv2.filters, conv2.kernel_size) == (64, (5, 5), 128, (5, 5))
    assert model.get_layer("max_pool1").pool_size == (2, 2)
    assert [model.get_layer(n).units for n in ("fc1", "fc2", "predictions")] == [2048, 1024, 10]
    assert model.get_layer("predictions").activation.__name__ == "softmax"
    assert model.get_layer("fc1").activation.__name__ == "relu"
    assert model.output_shape == (None, 10)


def test_deepobs_2c2d_is_one_override_away():
    model = build(["model.filters=[32,64]", "model.padding=same", "model.dense_units=[1024]"])
    # conv 32@5x5 same, pool, conv 64@5x5 same, pool, dense 1024, dense 10 (DeepOBS mnist_2c2d)
    expected = (5 * 5 * 1 * 32 + 32) + (5 * 5 * 32 * 64 + 64) + (7 * 7 * 64 * 1024 + 1024) + (1024 * 10 + 10)
    assert model.count_params() == expected == 3_274_634


@pytest.mark.parametrize("regularization, layer_types", [
    ("none", {"Conv2D": 2, "Dense": 3}),
    ("dropout", {"Conv2D": 2, "Dense": 3, "Dropout": 2}),
    ("batchnorm", {"Conv2D": 2, "Dense": 3, "BatchNormalization": 4, "Activation": 4}),
])
def test_regularization_presets_add_their_layers(regularization, layer_types):
    model = build([f"regularization={regularization}"])
    counts = {}
    for layer in model.layers:
        counts[type(layer).__name__] = counts.get(type(layer).__name__, 0) + 1
    for name, count in layer_types.items():
        assert counts.get(name, 0) == count, (name, counts)
    for absent in {"Dropout", "BatchNormalization"} - set(layer_types):
        assert absent not in counts


def test_dropout_rate_and_batchnorm_order():
    model = build(["regularization.dropout=0.3", "regularization.batchnorm=true"])
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["conv1", "conv1_bn", "conv1_relu"]
    assert model.get_layer("conv1").use_bias is False
    assert model.get_layer("fc1_dropout").rate == pytest.approx(0.3)
    assert names.index("fc1_dropout") == names.index("fc1_relu") + 1


def test_l2_adds_a_penalty_per_kernel():
    model = build(["regularization=l2"])
    x = np.zeros((2, 28, 28, 1), dtype="float32")
    model(x)
    assert len(model.losses) == 5  # conv1, conv2, fc1, fc2, predictions
    assert all(float(keras.ops.convert_to_numpy(loss)) > 0 for loss in model.losses)
    assert build().losses == []


def test_registry_lists_models():
    assert {"cnn", "mlp"} <= set(MODELS.names())
