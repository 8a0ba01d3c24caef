"""``logger=tensorboard``: Keras TensorBoard logs per run, HParams summaries per sweep.

Each run: ``keras.callbacks.TensorBoard`` writes ``tensorboard/train`` and
``tensorboard/validation`` in the run directory (Keras writes with
``tf.summary``: the tensorflow and tensorboard packages, on any backend).
Its steps are the epochs as ``history.csv`` numbers them (1, 2, 3). After a sweep,
:func:`kexp.loggers.hparams.write_hparams` adds what TensorBoard's HParams dashboard
compares (the varying keys with their domains, the metrics, each job's status and times);
``tensorboard --logdir <sweep dir>`` shows one row per job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kexp.config.errors import ConfigError
from kexp.loggers import LOGGERS, RunLogger, TrackedRun
from kexp.runs.layout import TENSORBOARD_DIR

LOG_DIR = TENSORBOARD_DIR


def missing_packages() -> list[str]:
    """The packages the Keras TensorBoard callback needs that are not installed."""
    import importlib.util

    return [p for p in ("tensorflow", "tensorboard") if importlib.util.find_spec(p) is None]


@LOGGERS.register("tensorboard")
class TensorBoardLogger(RunLogger):
    """The Keras TensorBoard callback into ``<run dir>/tensorboard`` with ``logger.tensorboard``'s options."""

    def __init__(self, options: dict, run_dir: Path) -> None:
        self.options = options
        self.run_dir = run_dir

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        if missing := missing_packages():
            raise ConfigError.bad_value(
                "logger",
                "[...,tensorboard]",
                f"needs the {' and '.join(missing)} package (pip install 'kexp[tensorboard]')",
            )

    @classmethod
    def open(cls, options: Mapping[str, Any], run: TrackedRun, run_dir: Path) -> TensorBoardLogger:
        cls.check(options)
        return cls(dict(options), run_dir)

    def callbacks(self) -> list:
        from kexp.backends.quiet import import_tensorflow_quietly

        import_tensorflow_quietly()  # (its summaries need it on any backend; JAX runs import it only here)
        return [_epochs_from_one()(log_dir=str(self.run_dir / LOG_DIR), **self.options)]


def _epochs_from_one():
    """Keras's TensorBoard callback with its steps numbered as ``history.csv`` (and MLflow) number
    epochs: 1, 2, 3 (Keras writes the 0-based epoch index)."""
    import keras

    class EpochsFromOne(keras.callbacks.TensorBoard):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            super().on_epoch_end(epoch + 1, logs)

    return EpochsFromOne
