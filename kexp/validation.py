"""Check a composed config before any heavy work (no TensorFlow imported here).

Each rule names a key, a test and what is allowed; the first failing rule
becomes a one-line ConfigError such as
``model.dropout=1.5 — must be in [0, 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from kexp.errors import ConfigError
from kexp.models import ACTIVATIONS

_MISSING = object()


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
    """One of the given values."""
    return lambda v: any(v == a and type(v) is type(a) for a in allowed)


def list_of_positive_ints(v: Any) -> bool:
    """A non-empty list of integers >= 1."""
    return isinstance(v, list) and len(v) > 0 and all(_is_int(i) and i >= 1 for i in v)


def layer_widths(v: Any) -> bool:
    """Widths of hidden layers: a list of integers >= 1, possibly empty."""
    return v == [] or list_of_positive_ints(v)


def existing_file(v: Any) -> bool:
    """None or the path of an existing file."""
    return v is None or (isinstance(v, str) and Path(v).expanduser().is_file())


@dataclass(frozen=True)
class Rule:
    """``key`` must pass ``test``; ``allowed`` says what passes."""

    key: str
    test: Callable[[Any], bool]
    allowed: str
    required: bool = False


RULES: list[Rule] = [
    Rule("seed", int_at_least(0), "must be an integer ≥ 0", required=True),
    Rule("trainer.epochs", int_at_least(1), "must be an integer ≥ 1", required=True),
    Rule("trainer.batch_size", int_at_least(1), "must be an integer ≥ 1", required=True),
    Rule("trainer.verbose", one_of("auto", 0, 1, 2), "must be one of auto, 0, 1, 2"),
    Rule("trainer.save_model", one_of(True, False), "must be true or false"),
    Rule("trainer.deterministic", one_of(True, False), "must be true or false"),
    Rule("trainer.jit_compile", one_of("auto", True, False), "must be auto, true or false"),
    Rule("trainer.steps_per_execution", int_at_least(1), "must be an integer ≥ 1"),
    Rule("optimizer.learning_rate", number_above(0), "must be a number > 0"),
    Rule("regularization.dropout", optional(fraction_below_one), "must be in [0, 1) or null"),
    Rule("regularization.l2", number_at_least(0), "must be a number ≥ 0"),
    Rule("regularization.batchnorm", one_of(True, False, None), "must be true, false or null"),
    Rule("data.val_split", fraction_below_one, "must be in [0, 1)"),
    Rule("data.train_size", optional(int_at_least(1)), "must be null or an integer ≥ 1"),
    Rule("data.test_size", optional(int_at_least(1)), "must be null or an integer ≥ 1"),
    Rule("data.test_fraction", lambda v: _is_number(v) and 0 < v < 1, "must be in (0, 1)"),
    Rule("data.image_size", int_at_least(8), "must be an integer ≥ 8"),
    Rule("data.path", existing_file, "no such file; must be an existing .npz file"),
    Rule("model.dropout", optional(fraction_below_one), "must be in [0, 1)"),
    Rule("model.batchnorm", one_of(True, False, None), "must be true, false or null"),
    Rule("model.activation", lambda v: v in ACTIVATIONS, "unknown; available: " + ", ".join(ACTIVATIONS)),
    Rule("model.kernel_initializer", lambda v: isinstance(v, str) and v.isidentifier(),
         "must be a Keras initializer name such as glorot_uniform or he_normal"),
    Rule("model.stem", one_of("auto", "imagenet", "small"), "must be auto, imagenet or small"),
    Rule("model.block", one_of("v1", "v2"), "must be v1 (post-activation) or v2 (pre-activation)"),
    Rule("model.se_ratio", lambda v: _is_number(v) and 0 <= v <= 1, "must be in [0, 1] (0 = off)"),
    Rule("model.inception", one_of("naive", "reduction"), "must be naive or reduction"),
    Rule("model.aux_weight", number_at_least(0), "must be a number ≥ 0"),
    Rule("model.filters", list_of_positive_ints, "must be a list of integers ≥ 1"),
    Rule("model.dense_units", layer_widths, "must be a list of integers ≥ 1"),
    Rule("model.hidden_units", layer_widths, "must be a list of integers ≥ 1"),
    Rule("model.kernel_size", int_at_least(1), "must be an integer ≥ 1"),
    Rule("model.pool_size", int_at_least(1), "must be an integer ≥ 1"),
    Rule("model.padding", one_of("valid", "same"), "must be valid or same"),
]


def validate(cfg: DictConfig) -> None:
    """Raise ConfigError for the first value that breaks a rule, DataError for a bad data file."""
    for rule in RULES:
        value = OmegaConf.select(cfg, rule.key, default=_MISSING)
        if value is _MISSING:
            if rule.required:
                raise ConfigError(f"{rule.key} is missing — {rule.allowed}")
            continue
        if isinstance(value, (DictConfig,)) or OmegaConf.is_config(value):
            value = OmegaConf.to_container(value, resolve=True)
        if not rule.test(value):
            raise ConfigError.bad_value(rule.key, _show(value), rule.allowed)
    if OmegaConf.select(cfg, "data.path", default=None):
        from kexp.data.sources import check_npz

        check_npz(cfg.data.path)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
