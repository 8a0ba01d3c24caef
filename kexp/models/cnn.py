"""The slide deck's Conv-Pool-Dense net (Keras Sequential) and its family."""

from __future__ import annotations

import keras
from omegaconf import DictConfig

from kexp.models import MODELS
from kexp.models.blocks import LayerFactory


@MODELS.register("cnn")
def build_cnn(cfg: DictConfig, input_shape: tuple[int, ...], num_classes: int,
              regularization: DictConfig) -> keras.Model:
    """conv{i} → max_pool{i} per entry of ``filters``, flatten, fc{j} per ``dense_units``.

    The defaults (64/128 filters of 5x5, dense 2048/1024) are the slides' net:
    6,511,370 parameters at 28x28x1 and 10 classes.
    """
    make = LayerFactory.from_config(cfg, regularization)
    layers: list[keras.Layer] = [keras.Input(shape=input_shape, name="image")]
    for i, filters in enumerate(cfg.filters, start=1):
        layers += make.conv(filters, cfg.kernel_size, f"conv{i}", padding=cfg.get("padding", "valid"))
        layers.append(keras.layers.MaxPooling2D(cfg.get("pool_size", 2), name=f"max_pool{i}"))
    layers.append(keras.layers.Flatten(name="flatten"))
    for j, units in enumerate(cfg.dense_units, start=1):
        layers += make.dense(units, f"fc{j}")
    layers.append(make.classifier(num_classes))
    return keras.Sequential(layers, name=cfg.name)
