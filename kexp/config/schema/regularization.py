"""Types of the ``regularization`` group (values: ``conf/regularization/none.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from omegaconf import MISSING


@dataclass
class AugmentConfig:
    """``regularization.augment``: Keras preprocessing layers active in training."""

    flip: Any = MISSING  # auto | true | false
    translate: float = MISSING
    rotate: float = MISSING
    zoom: float = MISSING


@dataclass
class EarlyStoppingConfig:
    """``regularization.early_stopping``: Keras EarlyStopping (patience null = off)."""

    patience: Optional[int] = MISSING
    monitor: str = MISSING
    min_delta: float = MISSING
    restore_best_weights: bool = MISSING


@dataclass
class RegularizationConfig:
    """``regularization``: knobs every model honours."""

    dropout: Optional[float] = MISSING
    l1: float = MISSING
    l2: float = MISSING
    batchnorm: Optional[bool] = MISSING
    label_smoothing: float = MISSING
    # sparse regularization (course text 001): an L1 penalty on the hidden activations, and/or a
    # KL penalty pulling each hidden unit's mean activation toward sparsity_target (weight: how
    # much it counts); on every hidden dense layer
    activity_l1: float = 0.0
    sparsity_target: Optional[float] = None
    sparsity_weight: float = 0.0
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
