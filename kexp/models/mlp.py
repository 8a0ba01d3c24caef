"""A multilayer perceptron over the flattened image."""

from __future__ import annotations

import keras
from omegaconf import DictConfig

from kexp.models import MODELS
from kexp.models.blocks import classifier, dense_layers


@MODELS.register("mlp")
def build_mlp(cfg: DictConfig, input_shape: tuple[int, ...], num_classes: int,
              regularization: DictConfig) -> keras.Model:
    """flatten → fc{j} (``hidden_units``, ``activation``) → predictions."""
    layers: list[keras.Layer] = [keras.Input(shape=input_shape, name="image"),
                                 keras.layers.Flatten(name="flatten")]
    for j, units in enumerate(cfg.hidden_units, start=1):
        layers += dense_layers(units, f"fc{j}", cfg.activation, regularization)
    layers.append(classifier(num_classes, regularization))
    return keras.Sequential(layers, name="mlp")
