"""Types of the ``trainer`` group (values: ``conf/trainer/default.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from omegaconf import MISSING

from kexp.config.choices import Curves, Precision, Strategy


@dataclass
class CheckpointConfig:
    """``trainer.checkpoint``: Keras ModelCheckpoint files."""

    best: bool = MISSING
    last: bool = MISSING
    monitor: str = MISSING


@dataclass
class FineTuneConfig:
    """``trainer.fine_tune``: two-phase training of a ``model=backbone`` run (kexp/fine_tune.py)."""

    freeze_epochs: int = 0
    unfreeze_layers: Optional[int] = None
    learning_rate: Optional[float] = None


@dataclass
class DistributedConfig:
    """``trainer.distributed``: one run over several processes or machines (JAX, kexp/backends/start.py)."""

    coordinator: Optional[str] = None  # host:port of process 0
    num_processes: int = 1
    process_id: int = 0
    timeout: float = 60.0  # seconds to wait for every process to arrive


@dataclass
class TrainerConfig:
    """``trainer``: how the model is trained."""

    epochs: int = MISSING
    batch_size: int = MISSING
    verbose: Any = MISSING  # auto | 0 | 1 | 2
    save_model: bool = MISSING
    save_optimizer: bool = MISSING
    deterministic: bool = MISSING
    jit_compile: Any = MISSING  # auto | true | false
    steps_per_execution: Any = MISSING  # auto | an integer ≥ 1
    class_weight: Any = MISSING  # none | balanced | {label: weight}
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    gradient_flow: bool = MISSING
    curves: Curves = Curves.panels  # panels | slides (also accuracy.png, loss.png as the slides draw them)
    callbacks: list[Any] = MISSING
    precision: Precision = MISSING
    strategy: Strategy = MISSING
    fine_tune: FineTuneConfig = field(default_factory=FineTuneConfig)
    distributed: DistributedConfig = field(default_factory=DistributedConfig)
