"""AlexNet (Krizhevsky et al. 2012), the single-tower variant in common use."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

from kexp.models import MODELS
from kexp.models.blocks import LayerFactory, small_input

if TYPE_CHECKING:
    from kexp.config.schema.model import AlexNetConfig
    from kexp.config.schema.regularization import RegularizationConfig


@MODELS.register("alexnet")
def build_alexnet(
    settings: AlexNetConfig, input_shape: tuple[int, ...], output_units: int, regularization: RegularizationConfig
) -> keras.Model:
    """5 convs (``filters``, ``kernel_sizes``), max-pools after ``pool_after``, dense + dropout.

    ImageNet stem: 11x11 stride-4 conv1 (zero padding 2), 3x3 stride-2 pools;
    61,100,840 parameters at 224x224x3 / 1000 classes. Small images (``stem``
    auto below 64 px, or ``small``): 3x3 stride-1 conv1 and 2x2 pools.
    """
    make = LayerFactory.from_settings(settings, regularization)
    small = small_input(input_shape, settings.stem)
    layers: list[keras.Layer] = make.input_layers(input_shape)
    for i, (filters, kernel) in enumerate(zip(settings.filters, settings.kernel_sizes), start=1):
        if i == 1 and not small:
            layers.append(keras.layers.ZeroPadding2D(2, name="conv1_pad"))
            layers += make.conv(filters, kernel, "conv1", strides=4, padding="valid")
        else:
            layers += make.conv(filters, 3 if (i == 1 and small) else kernel, f"conv{i}")
        if i in settings.pool_after:
            size, stride = (2, 2) if small else (3, 2)
            layers.append(make.pooling(settings.pooling, size, f"{settings.pooling}_pool{i}", strides=stride))
    layers += make.flat_head(settings.dense_units, output_units)
    return keras.Sequential(layers, name=settings.name)
