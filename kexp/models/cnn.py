"""The slide deck's Conv-Pool-Dense net (Keras Sequential) and its family."""

from __future__ import annotations

import keras
from omegaconf import DictConfig

from kexp.models import MODELS
from kexp.models.blocks import classifier, conv_layers, dense_layers


@MODELS.register("cnn")
def build_cnn(cfg: DictConfig, input_shape: tuple[int, ...], num_classes: int,
              regularization: DictConfig) -> keras.Model:
    """conv{i} → max_pool{i} per entry of ``filters``, flatten, fc{j} per ``dense_units``.

    The defaults (64/128 filters of 5x5, dense 2048/1024) are the slides' net:
    6,511,370 parameters at 28x28x1 and 10 classes.
    """
    layers: list[keras.Layer] = [keras.Input(shape=input_shape, name="image")]
    for i, filters in enumerate(cfg.filters, start=1):
        layers += conv_layers(filters, cfg.kernel_size, f"conv{i}", cfg.activation,
                              regularization, padding=cfg.get("padding", "valid"))
        layers.append(keras.layers.MaxPooling2D(cfg.get("pool_size", 2), name=f"max_pool{i}"))
    layers.append(keras.layers.Flatten(name="flatten"))
    for j, units in enumerate(cfg.dense_units, start=1):
        layers += dense_layers(units, f"fc{j}", cfg.activation, regularization)
    layers.append(classifier(num_classes, regularization))
    return keras.Sequential(layers, name="cnn")
