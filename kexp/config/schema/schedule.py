"""Types of the ``schedule`` group: one schema per schedule (values: ``conf/schedule/<name>.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING

from kexp.config.choices import Anneal


@dataclass
class ConstantSchedule:
    """``schedule=constant``: the optimizer's rate throughout."""

    _target_: str = MISSING
    name: str = MISSING


@dataclass
class StepSchedule(ConstantSchedule):
    """``schedule=step``: × gamma after each milestone epoch."""

    learning_rate: Any = MISSING  # ${optimizer.learning_rate}: a number, or find (set before training)
    milestones: list[int] = MISSING
    gamma: float = MISSING


@dataclass
class CosineSchedule(ConstantSchedule):
    """``schedule=cosine``: linear warm-up, then a half cosine to ``min_learning_rate``."""

    learning_rate: Any = MISSING  # ${optimizer.learning_rate}: a number, or find (set before training)
    epochs: int = MISSING
    warmup_epochs: int = MISSING
    min_learning_rate: float = MISSING


@dataclass
class ExponentialSchedule(ConstantSchedule):
    """``schedule=exponential``: × gamma every epoch."""

    learning_rate: Any = MISSING  # ${optimizer.learning_rate}: a number, or find (set before training)
    gamma: float = MISSING


@dataclass
class OneCycleSchedule(ConstantSchedule):
    """``schedule=one_cycle``: per batch, up to the peak ``learning_rate`` and down (Smith & Topin 2018)."""

    learning_rate: Any = MISSING  # ${optimizer.learning_rate}: a number, or find (set before training)
    epochs: int = MISSING
    pct_start: float = MISSING
    div_factor: float = MISSING
    final_div_factor: float = MISSING
    anneal: Anneal = MISSING


@dataclass
class PlateauSchedule(ConstantSchedule):
    """``schedule=plateau``: Keras ReduceLROnPlateau."""

    monitor: str = MISSING
    factor: float = MISSING
    patience: int = MISSING
    min_delta: float = MISSING
    cooldown: int = MISSING
    min_lr: float = MISSING


SCHEMAS = {
    "constant": ConstantSchedule,
    "step": StepSchedule,
    "cosine": CosineSchedule,
    "exponential": ExponentialSchedule,
    "one_cycle": OneCycleSchedule,
    "plateau": PlateauSchedule,
}
