"""Types of the ``task`` group (values: ``conf/task/<name>.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING


@dataclass
class TaskConfig:
    """``task``: multiclass, binary (one class against the rest) or regression."""

    name: str = MISSING
    positive_class: Any = MISSING  # a label (int) or a class name (str), or null
    # null: the task's loss; a Keras loss name; or {_target_: pkg.module.loss, ...}: a function
    # loss(y_true, y_pred) or a keras.losses.Loss class with its arguments (hydra.utils.instantiate)
    loss: Any = None
