"""ResNets (He et al. 2015/2016): residual units, ImageNet and CIFAR layouts, plain twins.

One residual unit serves every variant: ``basic`` (two 3x3 convs) or
``bottleneck`` (1x1-3x3-1x1, 4x wider output), post-activation ``v1`` or
pre-activation ``v2``, optional squeeze-and-excitation, and the shortcut:
``projection`` (1x1 conv + BN when the shape changes, identity otherwise),
``pad`` (option A: subsample and zero-pad channels, no parameters) or none
at all for the plain nets of the degradation experiment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import keras

from kexp.config.errors import ConfigError
from kexp.models import MODELS
from kexp.models.blocks import LayerFactory, apply, small_input
from kexp.models.layers import ChannelPad

if TYPE_CHECKING:
    from kexp.config.schema.model import CifarResNetConfig, ResNetConfig
    from kexp.config.schema.regularization import RegularizationConfig

EXPANSION = {"basic": 1, "bottleneck": 4}


@dataclass(frozen=True)
class UnitSpec:
    """How every residual unit of one network is built."""

    block_type: str = "basic"
    version: str = "v1"
    shortcut: str = "projection"  # projection | pad | none
    se_ratio: float = 0.0


def squeeze_excite(x, ratio: float, name: str):
    """SENet: channel weights from global context (GAP → Dense ↓ → Dense ↑ sigmoid)."""
    channels = x.shape[-1]
    s = keras.layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_se_squeeze")(x)
    s = keras.layers.Dense(max(1, int(channels * ratio)), activation="relu", name=f"{name}_se_reduce")(s)
    s = keras.layers.Dense(channels, activation="sigmoid", name=f"{name}_se_expand")(s)
    return keras.layers.Multiply(name=f"{name}_se_scale")([x, s])


def residual_unit(x, filters: int, stride: int, spec: UnitSpec, make: LayerFactory, name: str):
    """One residual unit; returns its output tensor."""
    out_channels = filters * EXPANSION[spec.block_type]
    if spec.block_type == "basic":
        convs = [(filters, 3, stride), (filters, 3, 1)]
    else:
        convs = [(filters, 1, 1), (filters, 3, stride), (out_channels, 1, 1)]
    pre = x
    if spec.version == "v2":  # BN → activation before the convs; the shortcut sees it too
        pre = keras.layers.BatchNormalization(name=f"{name}_preact_bn")(x)
        pre = make.activation_layer(f"{name}_preact_{make.activation}", spatial=True)(pre)
    y = pre
    for i, (width, kernel, conv_stride) in enumerate(convs, start=1):
        last = i == len(convs)
        if spec.version == "v1":
            y = apply(make.conv(width, kernel, f"{name}_conv{i}", strides=conv_stride, activated=not last), y)
        else:
            if i > 1:
                y = keras.layers.BatchNormalization(name=f"{name}_conv{i}_prebn")(y)
                y = make.activation_layer(f"{name}_conv{i}_pre{make.activation}", spatial=True)(y)
            y = apply(
                make.conv(width, kernel, f"{name}_conv{i}", strides=conv_stride, activated=False, batchnorm=False), y
            )
    if spec.se_ratio > 0:
        y = squeeze_excite(y, spec.se_ratio, name)
    if spec.shortcut == "none":
        out = y
    else:
        shortcut = x if spec.version == "v1" else pre
        if stride != 1 or x.shape[-1] != out_channels:
            if spec.shortcut == "pad":
                shortcut = ChannelPad(out_channels, stride, name=f"{name}_shortcut_pad")(x)
            else:
                shortcut = apply(
                    make.conv(
                        out_channels,
                        1,
                        f"{name}_shortcut",
                        strides=stride,
                        activated=False,
                        batchnorm=spec.version == "v1",
                    ),
                    shortcut,
                )
        elif spec.version == "v2":
            shortcut = x
        out = keras.layers.Add(name=f"{name}_add")([shortcut, y])
    if spec.version == "v1":
        out = make.activation_layer(f"{name}_out_{make.activation}", spatial=True)(out)
    return out


def _stages(x, settings: ResNetConfig | CifarResNetConfig, spec: UnitSpec, make: LayerFactory, first_stride: int):
    for stage, (filters, blocks) in enumerate(zip(settings.stackwise_filters, settings.stackwise_blocks), start=1):
        for block in range(1, blocks + 1):
            stride = (first_stride if stage == 1 else 2) if block == 1 else 1
            x = residual_unit(x, filters, stride, spec, make, f"stage{stage}_block{block}")
    if spec.version == "v2":
        x = keras.layers.BatchNormalization(name="post_bn")(x)
        x = make.activation_layer(f"post_{make.activation}", spatial=True)(x)
    return x


def _spec(settings: ResNetConfig | CifarResNetConfig, shortcut: str) -> UnitSpec:
    if settings.block_type not in EXPANSION:
        raise ConfigError.bad_value("model.block_type", settings.block_type, "must be basic or bottleneck")
    return UnitSpec(settings.block_type, settings.block, shortcut, settings.se_ratio)


def _factory(settings: ResNetConfig | CifarResNetConfig, regularization: RegularizationConfig) -> LayerFactory:
    return LayerFactory.from_settings(settings, regularization, maxout_allowed=False)


def _head(x, make: LayerFactory, output_units: int):
    """Global average pooling [→ Dropout: ``regularization.dropout``, timm's ``drop_rate``] → the classifier."""
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = apply(make.head_dropout(), x)
    return make.classifier(output_units)(x)


@MODELS.register("resnet")
def build_resnet(
    settings: ResNetConfig | CifarResNetConfig,
    input_shape: tuple[int, ...],
    output_units: int,
    regularization: RegularizationConfig,
) -> keras.Model:
    """ImageNet ResNet: 7x7/2 stem + 3x3/2 max-pool (small images: 3x3/1, no pool), stages, GAP.

    At 224x224x3/1000: resnet18 11,689,512; resnet34 21,797,672; resnet50 25,557,032;
    resnet101 44,549,160; resnet152 60,192,808 trainable parameters.
    """
    make = _factory(settings, regularization)
    spec = _spec(settings, "projection")
    inputs, image = make.input(input_shape)
    width = settings.stem_filters
    if small_input(input_shape, settings.stem):
        x = apply(
            make.conv(width, 3, "stem_conv", activated=spec.version == "v1", batchnorm=spec.version == "v1"), image
        )
    else:
        x = apply(
            make.conv(width, 7, "stem_conv", strides=2, activated=spec.version == "v1", batchnorm=spec.version == "v1"),
            image,
        )
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    x = _stages(x, settings, spec, make, first_stride=1)
    return keras.Model(inputs, _head(x, make, output_units), name=settings.name)


@MODELS.register("cifar_resnet")
def build_cifar_resnet(
    settings: CifarResNetConfig,
    input_shape: tuple[int, ...],
    output_units: int,
    regularization: RegularizationConfig,
) -> keras.Model:
    """CIFAR ResNet of He et al. §4.2: 3x3 conv, 3 stages of n units (16/32/64), GAP, dense.

    ``residual: false`` removes every skip connection (the plain nets);
    ``shortcut: pad`` is option A (no parameters, so plain and residual twins
    have the same count: resnet20 269,722 at 32x32x3 / 10 classes).
    """
    make = _factory(settings, regularization)
    spec = _spec(settings, settings.shortcut if settings.residual else "none")
    inputs, image = make.input(input_shape)
    width = settings.stackwise_filters[0]
    x = apply(make.conv(width, 3, "stem_conv", activated=spec.version == "v1", batchnorm=spec.version == "v1"), image)
    x = _stages(x, settings, spec, make, first_stride=1)
    return keras.Model(inputs, _head(x, make, output_units), name=settings.name)
