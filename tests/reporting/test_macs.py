"""Multiply-accumulate counts, against hand counts and the papers' totals."""

import pytest

from kexp.reporting.macs import macs_table, macs_text, total_macs
from kexp.models import build_model
from tests.conftest import typed_config


def build(name, shape, classes=10, extra=()):
    cfg = typed_config([f"model={name}", *extra])
    return build_model(cfg.model, shape, classes, cfg.regularization)


def test_the_slides_cnn_layer_by_layer():
    table = macs_table(build("cnn", (28, 28, 1))).set_index("layer")["macs"]
    hand = {
        "conv1": 24 * 24 * 64 * (5 * 5 * 1),
        "max_pool1": 12 * 12 * 64 * (2 * 2),
        "conv2": 8 * 8 * 128 * (5 * 5 * 64),  # 13,107,200
        "max_pool2": 4 * 4 * 128 * (2 * 2),
        "fc1": 2048 * 2048,
        "fc2": 2048 * 1024,
        "predictions": 1024 * 10,
    }
    assert table[list(hand)].to_dict() == hand
    assert table.drop(list(hand)).sum() == 0  # flatten
    assert table.sum() == 20_375_552


def test_batchnorm_global_pooling_and_additions_count_per_element():
    table = macs_table(build("resnet20", (32, 32, 3))).set_index("layer")["macs"]
    assert table["stem_conv"] == 32 * 32 * 16 * (3 * 3 * 3)
    assert table["stem_conv_bn"] == 32 * 32 * 16
    assert table["avg_pool"] == 8 * 8 * 64
    assert table["predictions"] == 64 * 10
    adds = [name for name in table.index if name.endswith("_add")]
    assert len(adds) == 9 and table[adds[0]] == 32 * 32 * 16


@pytest.mark.parametrize("name, paper, tolerance", [
    ("vgg16", 15.5e9, 0.01),       # Simonyan & Zisserman: 15.5 G multiply-adds
    ("resnet50", 4.1e9, 0.02),     # commonly quoted ResNet-50 cost (3.8–4.1 G)
    ("googlenet", 1.5e9, 0.07),    # Szegedy et al.: "1.5 billion multiply-adds"
])
def test_imagenet_totals_match_the_papers(name, paper, tolerance):
    model = build(name, (224, 224, 3), 1000)
    assert total_macs(model) == pytest.approx(paper, rel=tolerance)
    if name == "googlenet":  # the training-only auxiliary heads are not an inference cost
        assert total_macs(model) == total_macs(build(name, (224, 224, 3), 1000, ["model.aux_weight=0"]))
        assert "MACs of the training-only auxiliary heads)" in macs_text(model)


def test_layers_the_counter_does_not_know_are_named():
    import keras

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.UpSampling2D(2, name="up"),
                              keras.layers.Conv2D(2, 3, name="conv"), keras.layers.Flatten()])
    text = macs_text(model)
    assert text.splitlines()[-1] == "not counted, unknown to the MAC counter: up (UpSampling2D)"
    assert "flatten" not in text  # free by design, not unknown
    assert macs_text(build("resnet20", (32, 32, 3))).find("unknown") == -1


def test_model_txt_table_lists_counted_layers_and_the_total():
    text = macs_text(build("cnn", (28, 28, 1)))
    assert "conv2" in text and "13,107,200" in text and text.splitlines()[-1].endswith("20,375,552")
    assert "flatten" not in text
