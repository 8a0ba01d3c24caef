"""A multilayer perceptron over the flattened image."""

from __future__ import annotations

import keras
from omegaconf import DictConfig

from kexp.models import MODELS
from kexp.models.blocks import LayerFactory


@MODELS.register("mlp")
def build_mlp(
    cfg: DictConfig, input_shape: tuple[int, ...], output_units: int, regularization: DictConfig
) -> keras.Model:
    """flatten → fc{j} (``hidden_units``, ``activation``) → predictions."""
    make = LayerFactory.from_config(cfg, regularization)
    layers: list[keras.Layer] = [*make.input_layers(input_shape), keras.layers.Flatten(name="flatten")]
    for j, units in enumerate(cfg.hidden_units, start=1):
        layers += make.dense(units, f"fc{j}")
    layers.append(make.classifier(output_units))
    return keras.Sequential(layers, name=cfg.name)
