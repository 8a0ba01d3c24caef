"""A multilayer perceptron over the flattened image."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

from kexp.models import MODELS
from kexp.models.blocks import LayerFactory

if TYPE_CHECKING:
    from kexp.config.schema.model import MlpConfig
    from kexp.config.schema.regularization import RegularizationConfig


@MODELS.register("mlp")
def build_mlp(
    settings: MlpConfig, input_shape: tuple[int, ...], output_units: int, regularization: RegularizationConfig
) -> keras.Model:
    """flatten → fc{j} (``hidden_units``, ``activation``) → predictions."""
    make = LayerFactory.from_settings(settings, regularization)
    return keras.Sequential(
        [*make.input_layers(input_shape), *make.flat_head(settings.hidden_units, output_units)], name=settings.name
    )
