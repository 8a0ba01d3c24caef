"""The ``model`` config group: registered builders, one module per family.

A builder is ``fn(cfg, input_shape, num_classes, regularization) -> keras.Model``
registered with ``@MODELS.register("name")``; ``conf/model/<name>.yaml`` holds
its settings, with ``name`` picking the builder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from kexp.registry import Registry

if TYPE_CHECKING:
    import keras

Builder = Callable[[DictConfig, tuple[int, ...], int, DictConfig], "keras.Model"]

MODELS: Registry[Builder] = Registry("model.name", "kexp.models")


def build_model(cfg: DictConfig, input_shape: tuple[int, ...], num_classes: int,
                regularization: DictConfig) -> "keras.Model":
    """Build the model that ``cfg.name`` names, for this input shape and class count."""
    builder = MODELS.get(cfg.name)
    return builder(cfg, tuple(input_shape), int(num_classes), regularization)
