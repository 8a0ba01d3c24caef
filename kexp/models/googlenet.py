"""GoogLeNet / Inception v1 (Szegedy et al. 2014): Inception modules and auxiliary heads."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

from kexp.config.errors import ConfigError
from kexp.models import MODELS
from kexp.models.auxiliary import AuxiliaryLossModel
from kexp.models.blocks import LayerFactory, apply, small_input

if TYPE_CHECKING:
    from kexp.config.schema.model import GoogLeNetConfig
    from kexp.config.schema.regularization import RegularizationConfig


def inception_module(x, spec: list[int], kind: str, make: LayerFactory, name: str):
    """1x1, 3x3, 5x5 convs and a 3x3 max-pool in parallel, concatenated on channels.

    ``spec`` is a Table 1 row: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
    ``naive`` (Fig. 2a) has no 1x1 reductions and passes the pool through;
    ``reduction`` (Fig. 2b) puts 1x1 convs before the 3x3/5x5 and after the pool.
    """
    n1, n3_reduce, n3, n5_reduce, n5, pool_proj = spec
    pooled = keras.layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    if kind == "naive":
        branches = [
            apply(make.conv(n1, 1, f"{name}_1x1"), x),
            apply(make.conv(n3, 3, f"{name}_3x3"), x),
            apply(make.conv(n5, 5, f"{name}_5x5"), x),
            pooled,
        ]
    else:
        branches = [
            apply(make.conv(n1, 1, f"{name}_1x1"), x),
            apply(make.conv(n3_reduce, 1, f"{name}_3x3_reduce") + make.conv(n3, 3, f"{name}_3x3"), x),
            apply(make.conv(n5_reduce, 1, f"{name}_5x5_reduce") + make.conv(n5, 5, f"{name}_5x5"), x),
            apply(make.conv(pool_proj, 1, f"{name}_pool_proj"), pooled),
        ]
    return keras.layers.Concatenate(name=f"{name}_concat")(branches)


def auxiliary_head(x, output_units: int, make: LayerFactory, name: str):
    """5x5/3 average pool → 1x1 conv 128 → dense 1024 → dropout 0.7 → softmax."""
    pool = min(5, x.shape[1], x.shape[2])
    x = keras.layers.AveragePooling2D(pool, strides=3 if pool == 5 else 1, name=f"{name}_pool")(x)
    x = apply(make.conv(128, 1, f"{name}_conv"), x)
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    x = apply(make.dense(1024, f"{name}_fc", dropout=False), x)
    x = keras.layers.Dropout(0.7, name=f"{name}_dropout")(x)
    return make.classifier(output_units, name=name)(x)


@MODELS.register("googlenet")
def build_googlenet(
    settings: GoogLeNetConfig, input_shape: tuple[int, ...], output_units: int, regularization: RegularizationConfig
) -> keras.Model:
    """Stem, Inception stages (max-pool between), GAP, dropout, softmax; aux heads in training.

    ImageNet stem: 7x7/2 conv, 3x3/2 pool, 1x1 64, 3x3 192, 3x3/2 pool. Small
    images: 3x3/1 conv and no stem pools, so 28x28 reaches inception 3a at 28x28
    as 224x224 does in the paper.
    """
    kind = settings.inception
    if kind not in ("naive", "reduction"):
        raise ConfigError.bad_value("model.inception", kind, "must be naive or reduction")
    make = LayerFactory.from_settings(settings, regularization)
    small = small_input(input_shape, settings.stem)
    inputs, image = make.input(input_shape)
    if small:
        x = apply(make.conv(64, 3, "stem_conv1"), image)
    else:
        x = apply(make.conv(64, 7, "stem_conv1", strides=2), image)
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool1")(x)
    x = apply(make.conv(64, 1, "stem_conv2_reduce") + make.conv(192, 3, "stem_conv2"), x)
    if not small:
        x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool2")(x)
    aux_after = set(settings.aux_after)
    auxiliary = []
    for stage, modules in enumerate(settings.stages, start=3):
        if stage > 3:
            x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{stage}")(x)
        for letter, spec in zip("abcdefgh", modules):
            x = inception_module(x, list(spec), kind, make, f"inception_{stage}{letter}")
            if f"{stage}{letter}" in aux_after:
                auxiliary.append(auxiliary_head(x, output_units, make, f"aux_{stage}{letter}"))
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if make.dropout > 0:
        x = keras.layers.Dropout(make.dropout, name="dropout")(x)
    main = make.classifier(output_units)(x)
    aux_weight = settings.aux_weight
    if not auxiliary or aux_weight == 0:
        return keras.Model(inputs, main, name=settings.name)
    network = keras.Model(inputs, [main, *auxiliary], name=f"{settings.name}_network")
    model = AuxiliaryLossModel(network, aux_weight, name=settings.name)
    model.build((None, *input_shape))
    return model
