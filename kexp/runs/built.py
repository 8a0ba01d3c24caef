"""What a run trains, once its model is built and compiled (:mod:`kexp.runs.pipeline`), and what
its last phase evaluates (:mod:`kexp.runs.finish`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Built:
    """What a run trains: the compiled model, the data, the task, and the devices sharing a batch."""

    model: Any
    data: Any
    task: Any
    replicas: int = 1
