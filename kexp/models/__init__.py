"""The ``model`` config group: registered builders, one module per family.

A builder is ``fn(settings, input_shape, output_units, regularization) -> keras.Model``
registered with ``@MODELS.register("family")``: ``settings`` is its family's dataclass
(:mod:`kexp.config.schema.model`, e.g. :class:`~kexp.config.schema.model.CnnConfig`; a
family of one's own, which has none, gets its keys as a read-only ``DictConfig``),
``regularization`` a :class:`~kexp.config.schema.regularization.RegularizationConfig`; ``conf/model/<variant>.yaml``
holds one variant's settings: ``name`` (the variant, e.g. vgg16) and
``builder`` (the family, e.g. vgg; defaults to ``name``). A new depth or width
is a YAML file; a new family is one module here.

From Python, without Hydra: :func:`create_model` and :func:`list_models`
(:mod:`kexp.models.factory`). This module imports no Keras, so validation can use
the names below early.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kexp.config.registry import Registry

if TYPE_CHECKING:
    import keras

    from kexp.config.schema.regularization import RegularizationConfig

Builder = Callable[..., "keras.Model"]

MODELS: Registry[Builder] = Registry("model.builder", "kexp.models")


def build_model(
    settings: Any,
    input_shape: tuple[int, ...],
    output_units: int,
    regularization: RegularizationConfig,
    output_activation: str = "softmax",
) -> keras.Model:
    """Build the model that ``settings`` (the ``model`` group's dataclass) name, for this input shape
    and output width.

    ``output_activation`` comes from the task (softmax, sigmoid or linear);
    builders read it as ``settings.output_activation``.
    """
    builder = MODELS.get(str(settings.builder or settings.name))
    if dataclasses.is_dataclass(settings):
        settings = dataclasses.replace(settings, output_activation=output_activation)  # type: ignore[type-var]
    else:  # (a family of one's own: its keys as a read-only DictConfig)
        from omegaconf import OmegaConf

        settings = OmegaConf.create({**settings, "output_activation": output_activation}, flags={"readonly": True})
    return builder(settings, tuple(input_shape), int(output_units), regularization)


def __getattr__(name: str):
    """``kexp.models.create_model`` / ``list_models``, imported when first used."""
    if name in ("create_model", "list_models", "model_config"):
        from kexp.models import factory

        return getattr(factory, name)
    raise AttributeError(name)
