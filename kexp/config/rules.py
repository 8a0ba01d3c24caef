"""The range and choice of every key, as a table: ``key``, a test, and what is allowed.

:func:`kexp.config.validation.validate` applies them in order; the first value that fails
becomes a one-line ConfigError such as ``model.dropout=1.5 — must be in [0, 1)``.
Types are Hydra's to check while composing (:mod:`kexp.config.schema`); what is here are the
ranges and the choices among strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kexp.config.choices import (
    ACTIVATIONS,
    BLOCK_TYPES,
    NEEDS_TARGETS,
    PRECISIONS,
    Anneal,
    Cache,
    ColorMode,
    FillMissing,
    Inception,
    OnBadImage,
    Padding,
    Pooling,
    ResNetBlock,
    Stem,
    TargetType,
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def int_at_least(low: int) -> Callable[[Any], bool]:
    """An integer >= ``low``."""
    return lambda v: _is_int(v) and v >= low


def number_above(low: float) -> Callable[[Any], bool]:
    """A finite number > ``low``."""
    return lambda v: _is_number(v) and v > low


def number_at_least(low: float) -> Callable[[Any], bool]:
    """A finite number >= ``low``."""
    return lambda v: _is_number(v) and v >= low


def fraction_below_one(v: Any) -> bool:
    """A number in [0, 1)."""
    return _is_number(v) and 0 <= v < 1


def optional(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """``None`` or a value passing ``test``."""
    return lambda v: v is None or test(v)


def one_of(*allowed: Any) -> Callable[[Any], bool]:
    """One of the given values (a string choice, also as its StrEnum member; ``True`` is not ``1``)."""

    def same_kind(v: Any, a: Any) -> bool:
        return (isinstance(v, str) and isinstance(a, str)) or type(v) is type(a)

    return lambda v: any(v == a and same_kind(v, a) for a in allowed)


def list_of_positive_ints(v: Any) -> bool:
    """A non-empty list of integers >= 1."""
    return isinstance(v, list) and len(v) > 0 and all(_is_int(i) and i >= 1 for i in v)


def layer_widths(v: Any) -> bool:
    """Widths of hidden layers: a list of integers >= 1, possibly empty."""
    return v == [] or list_of_positive_ints(v)


def class_weights(v: Any) -> bool:
    """none, balanced, or a mapping label → weight ≥ 0."""
    if v in ("none", "balanced", None):
        return True
    return (
        isinstance(v, dict)
        and len(v) > 0
        and all(_is_int(k) and k >= 0 and _is_number(w) and w >= 0 for k, w in v.items())
    )


def fractions_by_label(v: Any) -> bool:
    """A mapping label → fraction in [0, 1)."""
    return (
        isinstance(v, dict)
        and len(v) > 0
        and all(_is_int(k) and k >= 0 and fraction_below_one(f) for k, f in v.items())
    )


def image_size(v: Any) -> bool:
    """An integer ≥ 8 (a square) or [height, width] of them."""
    return int_at_least(8)(v) or (isinstance(v, list) and len(v) == 2 and all(map(int_at_least(8), v)))


@dataclass(frozen=True)
class Rule:
    """``key`` must pass ``test``; ``allowed`` says what passes."""

    key: str
    test: Callable[[Any], bool]
    allowed: str
    required: bool = False


RULES: list[Rule] = [
    Rule("seed", int_at_least(0), "must be an integer ≥ 0", required=True),
    Rule("resume", one_of("auto", "never"), "must be auto or never"),
    Rule("trainer.epochs", int_at_least(1), "must be an integer ≥ 1", required=True),
    Rule("trainer.batch_size", int_at_least(1), "must be an integer ≥ 1", required=True),
    Rule("trainer.verbose", one_of("auto", 0, 1, 2), "must be one of auto, 0, 1, 2"),
    Rule("trainer.jit_compile", one_of("auto", True, False), "must be auto, true or false"),
    Rule(
        "trainer.steps_per_execution",
        lambda v: v == "auto" or int_at_least(1)(v),
        "must be auto (batches per call chosen from the model's size) or an integer ≥ 1",
    ),
    Rule(
        "trainer.class_weight",
        class_weights,
        "must be none, balanced or a mapping {label: weight ≥ 0}, e.g. {0: 1.0, 3: 5.0}",
    ),
    Rule(
        "trainer.callbacks",
        lambda v: isinstance(v, list) and all(isinstance(c, dict) and "_target_" in c for c in v),
        "must be a list of mappings with _target_, e.g. [{_target_: keras.callbacks.ProgbarLogger}]",
    ),
    Rule("trainer.precision", one_of(*PRECISIONS), "must be one of " + ", ".join(PRECISIONS)),
    Rule(
        "trainer.strategy",
        one_of("default", "mirrored", "data_parallel"),
        "must be default, mirrored (TensorFlow) or data_parallel (JAX)",
    ),
    Rule("trainer.distributed.num_processes", int_at_least(1), "must be an integer ≥ 1"),
    Rule("trainer.distributed.timeout", number_above(0), "must be a number of seconds > 0"),
    Rule(
        "optimizer.learning_rate",
        lambda v: v == "find" or number_above(0)(v),
        "must be a number > 0, or find (a learning-rate range test chooses it)",
    ),
    Rule("optimizer.weight_decay", optional(number_at_least(0)), "must be null or a number ≥ 0"),
    Rule("optimizer.clipnorm", optional(number_above(0)), "must be null or a number > 0"),
    Rule("optimizer.global_clipnorm", optional(number_above(0)), "must be null or a number > 0"),
    Rule("schedule.milestones", list_of_positive_ints, "must be a list of epochs ≥ 1, e.g. [5, 8]"),
    Rule("schedule.gamma", number_above(0), "must be a number > 0"),
    Rule("schedule.warmup_epochs", int_at_least(0), "must be an integer ≥ 0"),
    Rule("schedule.min_learning_rate", number_at_least(0), "must be a number ≥ 0"),
    Rule("schedule.factor", lambda v: _is_number(v) and 0 < v < 1, "must be in (0, 1)"),
    Rule("schedule.patience", int_at_least(0), "must be an integer ≥ 0"),
    Rule("schedule.pct_start", lambda v: _is_number(v) and 0 < v < 1, "must be in (0, 1)"),
    Rule("schedule.div_factor", number_above(0), "must be a number > 0"),
    Rule("schedule.final_div_factor", number_above(0), "must be a number > 0"),
    Rule("schedule.anneal", one_of(*Anneal), "must be one of " + ", ".join(Anneal)),
    Rule("regularization.dropout", optional(fraction_below_one), "must be in [0, 1) or null"),
    Rule("regularization.l1", number_at_least(0), "must be a number ≥ 0"),
    Rule("regularization.l2", number_at_least(0), "must be a number ≥ 0"),
    Rule("regularization.label_smoothing", fraction_below_one, "must be in [0, 1)"),
    Rule("regularization.augment.flip", one_of("auto", True, False), "must be auto, true or false"),
    Rule(
        "regularization.augment.translate",
        lambda v: _is_number(v) and 0 <= v < 1,
        "must be in [0, 1) (a fraction of height/width; 0 = off)",
    ),
    Rule(
        "regularization.augment.rotate",
        lambda v: _is_number(v) and 0 <= v <= 0.5,
        "must be in [0, 0.5] (a fraction of a full turn; 0 = off)",
    ),
    Rule("regularization.augment.zoom", lambda v: _is_number(v) and 0 <= v < 1, "must be in [0, 1) (0 = off)"),
    Rule("regularization.early_stopping.patience", optional(int_at_least(0)), "must be null (off) or an integer ≥ 0"),
    Rule("task.name", one_of(*NEEDS_TARGETS), "must be " + ", ".join(NEEDS_TARGETS)),
    Rule(
        "task.positive_class",
        optional(lambda v: int_at_least(0)(v) or (isinstance(v, str) and v != "")),
        "must be null, a label ≥ 0 or a class name",
    ),
    Rule(
        "data.target_type",
        one_of(*TargetType),
        "must be one of labels, numbers, auto (data=csv: decided by the target column's type)",
    ),
    Rule(
        "data.imbalance",
        optional(fractions_by_label),
        "must be null or a mapping {label: fraction of its training samples to drop in [0, 1)}",
    ),
    Rule(
        "data.sample_weight",
        optional(lambda v: isinstance(v, str) and v != ""),
        "must be null or the name of an array in data.path",
    ),
    Rule("data.val_split", fraction_below_one, "must be in [0, 1)"),
    Rule("data.train_size", optional(int_at_least(1)), "must be null or an integer ≥ 1"),
    Rule("data.test_size", optional(int_at_least(1)), "must be null or an integer ≥ 1"),
    Rule("data.test_split", optional(lambda v: _is_number(v) and 0 < v < 1), "must be in (0, 1)"),
    Rule("data.image_size", optional(image_size), "must be an integer ≥ 8 or [height, width] of them"),
    Rule("data.color_mode", optional(one_of(*ColorMode)), "must be one of " + ", ".join(ColorMode)),
    Rule("data.cache", optional(one_of(*Cache)), "must be one of " + ", ".join(Cache)),
    Rule("data.on_bad_image", optional(one_of(*OnBadImage)), "must be one of " + ", ".join(OnBadImage)),
    Rule("data.fill_missing", optional(one_of(*FillMissing)), "must be one of " + ", ".join(FillMissing)),
    Rule("model.dropout", optional(fraction_below_one), "must be in [0, 1)"),
    Rule("model.activation", one_of(*ACTIVATIONS), "must be one of " + ", ".join(ACTIVATIONS)),
    Rule(
        "model.kernel_initializer",
        lambda v: isinstance(v, str) and v.isidentifier(),
        "must be a Keras initializer name such as glorot_uniform or he_normal",
    ),
    Rule("model.stem", one_of(*Stem), "must be one of " + ", ".join(Stem)),
    Rule("model.block_type", one_of(*BLOCK_TYPES), "must be one of " + ", ".join(BLOCK_TYPES)),
    Rule("model.block", one_of(*ResNetBlock), "must be one of " + ", ".join(ResNetBlock)),
    Rule("regularization.activity_l1", number_at_least(0), "must be a number ≥ 0"),
    Rule(
        "regularization.sparsity_target", optional(lambda v: _is_number(v) and 0 < v < 1), "must be in (0, 1) or null"
    ),
    Rule("regularization.sparsity_weight", number_at_least(0), "must be a number ≥ 0"),
    Rule("model.leaky_relu_slope", number_at_least(0), "must be a number ≥ 0"),
    Rule(
        "model.strides",
        lambda v: (_is_int(v) and v >= 1) or (isinstance(v, list) and all(_is_int(s) and s >= 1 for s in v)),
        "must be an integer ≥ 1 or one per conv",
    ),
    Rule("model.se_ratio", lambda v: _is_number(v) and 0 <= v <= 1, "must be in [0, 1] (0 = off)"),
    Rule("model.inception", one_of(*Inception), "must be one of " + ", ".join(Inception)),
    Rule("model.aux_weight", number_at_least(0), "must be a number ≥ 0"),
    Rule("model.filters", list_of_positive_ints, "must be a list of integers ≥ 1"),
    Rule("model.dense_units", layer_widths, "must be a list of integers ≥ 1"),
    Rule("model.hidden_units", layer_widths, "must be a list of integers ≥ 1"),
    Rule(
        "model.kernel_size",
        lambda v: int_at_least(1)(v) or list_of_positive_ints(v),
        "must be an integer ≥ 1 or a list of them (one per conv)",
    ),
    Rule("model.pool_size", int_at_least(1), "must be an integer ≥ 1"),
    Rule("model.pool_strides", optional(int_at_least(1)), "must be null (= pool_size) or an integer ≥ 1"),
    Rule("model.pool_every", int_at_least(1), "must be an integer ≥ 1"),
    Rule("model.pool_padding", one_of(*Padding), "must be one of " + ", ".join(Padding)),
    Rule("model.conv_dropout", fraction_below_one, "must be in [0, 1)"),
    Rule("model.pooling", one_of(*Pooling), "must be one of " + ", ".join(Pooling)),
    Rule("model.image_size", optional(image_size), "must be null, an integer ≥ 8 or [height, width] of them"),
    Rule(
        "model.weights",
        optional(lambda v: isinstance(v, str) and v != ""),
        "must be imagenet, null (random initialisation) or the path of a weights file",
    ),
    Rule("trainer.fine_tune.freeze_epochs", int_at_least(0), "must be an integer ≥ 0 (0: no phases)"),
    Rule(
        "trainer.fine_tune.unfreeze_layers",
        optional(int_at_least(1)),
        "must be null (the whole backbone) or an integer ≥ 1 (its top layers)",
    ),
    Rule(
        "trainer.fine_tune.learning_rate",
        optional(number_above(0)),
        "must be null (a tenth of optimizer.learning_rate) or a number > 0",
    ),
    Rule(
        "model.padding",
        lambda v: (
            v in ("valid", "same") or (isinstance(v, list) and len(v) > 0 and all(p in ("valid", "same") for p in v))
        ),
        "must be valid or same, or a list of them (one per conv)",
    ),
]
