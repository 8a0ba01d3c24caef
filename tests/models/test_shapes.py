"""Inputs too small for a model: where its feature maps collapse to 1x1, and the size it needs."""

import keras

from kexp.models import build_model
from kexp.models.shapes import collapse, flatten_grows_with_input, smallest_input
from tests.conftest import typed_config


def test_vgg16_on_8x8_collapses_after_its_third_block_and_needs_16x16():
    cfg = typed_config(["model=vgg16"])

    def build(shape):
        return build_model(cfg.model, shape, 10, cfg.regularization)

    small = build((8, 8, 1))
    found = collapse(small)
    assert found is not None and found.layer == "block3_pool" and found.later == 6  # block 4 and 5's convolutions
    # 16 → 8 → 4 → 2 → 1: only block 5 sees one pixel (as at 28x28, where VGG-16 reaches 90 % on the digits)
    assert smallest_input(build, (8, 8, 1)) == 16
    assert collapse(build((28, 28, 1))) is None  # (block 5 alone on 1x1: 3 of 16 windowed layers)
    # its 33.6 M parameters are the dense layers on a 1x1x512 map: a lower image size would not shrink it
    assert not flatten_grows_with_input(small)


def test_the_slides_cnn_flattens_maps_that_grow_with_the_input():
    cfg = typed_config([])
    model = build_model(cfg.model, (28, 28, 1), 10, cfg.regularization)
    assert collapse(model) is None and flatten_grows_with_input(model)
    plain = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten()])
    assert flatten_grows_with_input(plain)  # 2x2 maps into the flatten
