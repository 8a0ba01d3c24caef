"""ZFNet: the feature-map sizes of Zeiler & Fergus's Figure 3 (its count: tests/models/test_zoo.py)."""

from tests.conftest import typed_config


def test_the_maps_are_figure_3s_and_small_images_get_the_small_stem():
    from kexp.models import build_model

    cfg = typed_config(["model=zfnet"])
    model = build_model(cfg.model, (224, 224, 3), 1000, cfg.regularization)
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes["conv1"] == (110, 110, 96) and model.get_layer("conv1").kernel_size == (7, 7)
    assert model.get_layer("conv1").strides == model.get_layer("conv2").strides == (2, 2)
    assert shapes["max_pool1"] == (55, 55, 96) and shapes["conv2"] == (26, 26, 256)
    assert shapes["max_pool2"] == (13, 13, 256) and shapes["conv5"] == (13, 13, 256)
    assert shapes["max_pool5"] == (6, 6, 256) and shapes["flatten"] == (6 * 6 * 256,)
    small = build_model(cfg.model, (28, 28, 1), 10, cfg.regularization)
    assert small.get_layer("conv1").kernel_size == (3, 3) and small.get_layer("flatten").output.shape[-1] == 3 * 3 * 256
