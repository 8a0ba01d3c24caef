"""The slide deck's Conv-Pool-Dense net (Keras Sequential) and its family."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

from kexp.models import MODELS
from kexp.models.blocks import LayerFactory

if TYPE_CHECKING:
    from kexp.config.schema.model import CnnConfig
    from kexp.config.schema.regularization import RegularizationConfig


def per_layer(value, index: int):
    """``value`` if it is one setting for every conv, else its ``index``-th entry."""
    return value[index] if isinstance(value, (list, tuple)) else value


@MODELS.register("cnn")
def build_cnn(
    settings: CnnConfig, input_shape: tuple[int, ...], output_units: int, regularization: RegularizationConfig
) -> keras.Model:
    """conv{i} per entry of ``filters`` with a max_pool after every ``pool_every`` convs,
    flatten, fc{j} per ``dense_units``.

    The defaults (64/128 filters of 5x5, each followed by a 2x2 pool, dense
    2048/1024) are the slides' net: 6,511,370 parameters at 28x28x1 and 10
    classes. ``kernel_size`` and ``padding`` may be lists (one per conv);
    ``pool_strides`` / ``pool_padding`` shape the pooling (DeepOBS's 3x3/2
    "same" pools) and ``conv_dropout`` adds Dropout after each pool (the
    Keras mnist_cnn example's 0.25). ``strides`` (per conv or one),
    ``pooling`` (max | avg) and ``se_ratio`` (a squeeze-and-excitation block
    after each conv) are the course's knobs.
    """
    make = LayerFactory.from_settings(settings, regularization)
    layers: list[keras.Layer] = make.input_layers(input_shape)
    pool_every = settings.pool_every
    conv_dropout = settings.conv_dropout
    pools = 0
    for i, filters in enumerate(settings.filters, start=1):
        layers += make.conv(
            filters,
            per_layer(settings.kernel_size, i - 1),
            f"conv{i}",
            strides=per_layer(settings.strides, i - 1),
            padding=per_layer(settings.padding, i - 1),
        )
        layers += make.squeeze_excite(f"conv{i}")
        if i % pool_every == 0:
            pools += 1
            layers.append(
                make.pooling(
                    settings.pooling,
                    settings.pool_size,
                    f"{settings.pooling}_pool{pools}",
                    strides=settings.pool_strides,
                    padding=settings.pool_padding,
                )
            )
            if conv_dropout > 0:
                layers.append(keras.layers.Dropout(conv_dropout, name=f"{settings.pooling}_pool{pools}_dropout"))
    layers += make.flat_head(settings.dense_units, output_units)
    return keras.Sequential(layers, name=settings.name)
