"""ZFNet (Zeiler & Fergus 2013, Figure 3): AlexNet with a 7x7 stride-2 first conv and a stride-2
second conv, found by looking at what the first layers learn."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

from kexp.models import MODELS
from kexp.models.blocks import LayerFactory, small_input

if TYPE_CHECKING:
    from kexp.config.schema.model import ZfNetConfig
    from kexp.config.schema.regularization import RegularizationConfig


@MODELS.register("zfnet")
def build_zfnet(
    settings: ZfNetConfig, input_shape: tuple[int, ...], output_units: int, regularization: RegularizationConfig
) -> keras.Model:
    """conv1 96x7x7/2 → pool 3x3/2 → conv2 256x5x5/2 → pool 3x3/2 → 384, 384, 256 3x3 convs → pool
    3x3/2 → dense 4096, 4096 (``filters``, ``dense_units``).

    At 224x224x3 the maps are the paper's: 110 → 55 → 26 → 13 → 13 → 6, so 6x6x256 feed the first
    dense layer (conv1 pads by 1; the first two pools pad as "same", the last does not).
    Small images (``stem`` auto below 64 px, or ``small``): 3x3 stride-1 convs and 2x2 pools.
    """
    make = LayerFactory.from_settings(settings, regularization)
    small = small_input(input_shape, settings.stem)
    layers: list[keras.Layer] = make.input_layers(input_shape)
    first, second, *rest = settings.filters
    if small:
        layers += make.conv(first, 3, "conv1")
        layers.append(make.pooling(settings.pooling, 2, f"{settings.pooling}_pool1"))
        layers += make.conv(second, 3, "conv2")
        layers.append(make.pooling(settings.pooling, 2, f"{settings.pooling}_pool2"))
    else:
        layers.append(keras.layers.ZeroPadding2D(1, name="conv1_pad"))
        layers += make.conv(first, 7, "conv1", strides=2, padding="valid")
        layers.append(make.pooling(settings.pooling, 3, f"{settings.pooling}_pool1", strides=2, padding="same"))
        layers += make.conv(second, 5, "conv2", strides=2, padding="valid")
        layers.append(make.pooling(settings.pooling, 3, f"{settings.pooling}_pool2", strides=2, padding="same"))
    for i, filters in enumerate(rest, start=3):
        layers += make.conv(filters, 3, f"conv{i}")
    size, stride = (2, 2) if small else (3, 2)
    layers.append(make.pooling(settings.pooling, size, f"{settings.pooling}_pool5", strides=stride))
    layers += make.flat_head(settings.dense_units, output_units)
    return keras.Sequential(layers, name=settings.name)
