"""Regularization the model has a place for: what would change nothing is one line, not a no-op.

``regularization=sparse`` acts on hidden dense layers, which a ResNet has none of;
``regularization=batchnorm`` on a Vision Transformer, which normalises with LayerNormalization;
``regularization.batchnorm=false`` on a ResNet, built with BatchNormalization in every unit. Each
would train the same net as without it, under another name — a comparison would report a
difference that is not there. What each family has is its schema's (:class:`ModelConfig`'s
``BATCHNORM`` and ``has_hidden_dense_layers``). Checked by validation, before anything runs (every
job of a sweep), and again by the layer factory for a model built from Python.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from kexp.config.errors import ConfigError

if TYPE_CHECKING:
    from kexp.config.schema.regularization import RegularizationConfig


def check_regularization_fits(model: Any, regularization: RegularizationConfig) -> None:
    """A :class:`ConfigError` naming the first regularization key that ``model`` (its family's
    dataclass; a family of one's own, without one, is not checked) has no place for."""
    if not dataclasses.is_dataclass(model):
        return
    _check_batchnorm(model, regularization)
    _check_sparsity(model, regularization)


def batchnorm_setting(model: Any, regularization: RegularizationConfig) -> tuple[str, bool | None]:
    """(the key that decides, its value): ``regularization.batchnorm``, else ``model.batchnorm``,
    else ("", None) — the family's design."""
    given = (
        ("regularization.batchnorm", regularization.batchnorm),
        ("model.batchnorm", getattr(model, "batchnorm", None)),
    )
    for key, value in given:
        if value is not None:
            return key, bool(value)
    return "", None


def _check_batchnorm(model: Any, regularization: RegularizationConfig) -> None:
    design = getattr(model, "BATCHNORM", "optional")
    key, batchnorm = batchnorm_setting(model, regularization)
    if design == "always" and batchnorm is False:
        raise ConfigError.bad_value(key, "false", f"{model.name} is built with BatchNormalization; use true or null")
    if design == "never" and batchnorm:
        raise ConfigError.bad_value(
            key,
            "true",
            f"{model.name} has no place for BatchNormalization: it normalises with {model.NORMALISATION}; "
            "use null or false",
        )


def _check_sparsity(model: Any, regularization: RegularizationConfig) -> None:
    has_hidden_dense = getattr(model, "has_hidden_dense_layers", None)
    if has_hidden_dense is None or has_hidden_dense():
        return
    if regularization.activity_l1 > 0:
        key, value = "regularization.activity_l1", regularization.activity_l1
    elif regularization.sparsity_target is not None and regularization.sparsity_weight > 0:
        key, value = "regularization.sparsity_weight", regularization.sparsity_weight
    else:
        return
    raise ConfigError.bad_value(
        key,
        value,
        f"sparse regularization acts on hidden dense layers, and {model.name} has none; "
        "use a model with dense layers (mlp, cnn, vgg, alexnet) or 0",
    )
