"""The ``model`` config group: registered builders, one module per family.

A builder is ``fn(cfg, input_shape, output_units, regularization) -> keras.Model``
registered with ``@MODELS.register("family")``; ``conf/model/<variant>.yaml``
holds one variant's settings: ``name`` (the variant, e.g. vgg16) and
``builder`` (the family, e.g. vgg; defaults to ``name``). A new depth or width
is a YAML file; a new family is one module here.

From Python, without Hydra: :func:`create_model` and :func:`list_models`
(:mod:`kexp.models.factory`). This module imports no Keras, so validation can use
the names below early.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from kexp.config.registry import Registry

if TYPE_CHECKING:
    import keras

Builder = Callable[[DictConfig, tuple[int, ...], int, DictConfig], "keras.Model"]

MODELS: Registry[Builder] = Registry("model.builder", "kexp.models")


def build_model(
    cfg: DictConfig,
    input_shape: tuple[int, ...],
    output_units: int,
    regularization: DictConfig,
    output_activation: str = "softmax",
) -> keras.Model:
    """Build the model that ``cfg.name`` names, for this input shape and output width.

    ``output_activation`` comes from the task (softmax, sigmoid or linear);
    builders read it as ``model.output_activation``.
    """
    from omegaconf import OmegaConf

    from kexp.config.schema.model import family, typed_model

    builder = MODELS.get(family(cfg))
    cfg = OmegaConf.merge(  # type: ignore[assignment]  # (OmegaConf/Hydra/MLflow return types are wider than their use here)
        OmegaConf.to_container(typed_model(cfg), resolve=True), {"output_activation": output_activation}
    )
    return builder(cfg, tuple(input_shape), int(output_units), regularization)


def __getattr__(name: str):
    """``kexp.models.create_model`` / ``list_models``, imported when first used."""
    if name in ("create_model", "list_models", "model_config"):
        from kexp.models import factory

        return getattr(factory, name)
    raise AttributeError(name)
