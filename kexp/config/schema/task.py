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
