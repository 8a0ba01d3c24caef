"""VGG (Simonyan & Zisserman 2014): stacks of 3x3 convs and 2x2 max-pools, then dense."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

from kexp.models import MODELS
from kexp.models.blocks import LayerFactory

if TYPE_CHECKING:
    from kexp.config.schema.model import VggConfig
    from kexp.config.schema.regularization import RegularizationConfig


@MODELS.register("vgg")
def build_vgg(
    settings: VggConfig, input_shape: tuple[int, ...], output_units: int, regularization: RegularizationConfig
) -> keras.Model:
    """``stages``: filters of each 3x3 conv per stage ("conv3-64"); a 2x2 max-pool ends a stage.

    Small inputs keep the design but skip a stage's pool once the feature map
    is down to 1x1 (28x28 → 14 → 7 → 3 → 1). At 224x224x3 and 1000 classes
    vgg16/vgg19 equal ``keras.applications`` (138,357,544 / 143,667,240).
    ``strides``, ``pooling`` (max | avg) and ``se_ratio`` are the course's knobs.
    """
    make = LayerFactory.from_settings(settings, regularization)
    layers: list[keras.Layer] = make.input_layers(input_shape)
    size = min(input_shape[:2])
    for stage, filters_list in enumerate(settings.stages, start=1):
        for i, filters in enumerate(filters_list, start=1):
            layers += make.conv(filters, 3, f"block{stage}_conv{i}", strides=settings.strides)
            layers += make.squeeze_excite(f"block{stage}_conv{i}")
            size = -(-size // settings.strides)
        if size >= 2:
            layers.append(make.pooling(settings.pooling, 2, f"block{stage}_pool"))
            size //= 2
    layers += make.flat_head(settings.dense_units, output_units)
    return keras.Sequential(layers, name=settings.name)
