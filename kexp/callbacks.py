"""Small Keras callbacks that complete what Keras logs per epoch."""

from __future__ import annotations

import logging
import time

import keras

log = logging.getLogger("kexp")


class EpochStats(keras.callbacks.Callback):
    """Add ``learning_rate`` and ``epoch_seconds`` to the epoch logs.

    Must come before CSVLogger in the callback list: CSVLogger fixes its
    columns at the first epoch from the keys the logs have by then.
    """

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        logs["epoch_seconds"] = time.perf_counter() - self._started
        if "learning_rate" not in logs:
            lr = self.model.optimizer.learning_rate
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))


class EpochLogLine(keras.callbacks.Callback):
    """One log line per epoch (goes to the console and the run's ``.log`` file)."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        shown = " ".join(f"{k}={v:.4g}" for k, v in logs.items()
                         if k not in ("epoch_seconds",) and isinstance(v, (int, float)))
        seconds = logs.get("epoch_seconds", float("nan"))
        log.info("epoch %d/%d %s (%.1f s)", epoch + 1, self.epochs, shown, seconds)


class OneBasedCSVLogger(keras.callbacks.CSVLogger):
    """Keras's CSVLogger with epochs numbered from 1, as people count them."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_end(epoch + 1, logs)
