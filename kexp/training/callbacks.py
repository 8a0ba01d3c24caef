"""Keras callbacks that complete what Keras logs per epoch and make runs interrupt-safe."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from kexp.compat import keras as keras_compat
from kexp.training.signals import SignalGuard

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


class PerBatchRate(keras.callbacks.Callback):
    """Set the optimizer's learning rate before every batch to ``rate(step, total_steps)``.

    ``step`` counts batches over the whole run (``epoch · steps per epoch +
    batch``) and ``total_steps`` is ``epochs · steps per epoch``, both from what
    Keras tells the callbacks (``params["steps"]``), so a resumed run, which
    Keras starts at its next epoch, continues the same curve. ``history.csv``'s
    ``learning_rate`` is the rate of each epoch's last batch.
    """

    acts_every_batch = True  # (trainer.steps_per_execution=auto stays at 1 batch per call)

    def __init__(self, rate, epochs: int) -> None:
        super().__init__()
        self.rate = rate
        self.epochs = epochs
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        steps = self.params.get("steps")
        if not steps:
            raise RuntimeError("a per-batch schedule needs the number of batches per epoch, which Keras did not give")
        step = self._epoch * steps + batch
        self.model.optimizer.learning_rate = self.rate(step, total_steps=self.epochs * steps)


class EpochLogLine(keras.callbacks.Callback):
    """One log line per epoch (goes to the console and the run's ``.log`` file)."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        shown = " ".join(
            f"{k}={v:.4g}" for k, v in logs.items() if k != "epoch_seconds" and isinstance(v, (int, float))
        )
        seconds = logs.get("epoch_seconds", float("nan"))
        log.info("epoch %d/%d %s (%.1f s)", epoch + 1, self.epochs, shown, seconds)


def publish_history(stream: Path, target: Path) -> pd.DataFrame:
    """Copy the CSVLogger stream to ``target`` atomically, one row per epoch.

    A run killed between CSVLogger's row and the backup of that epoch repeats
    the epoch when it resumes; the later row wins.
    """
    from kexp.runs.atomic import write_csv

    history = pd.read_csv(stream).drop_duplicates("epoch", keep="last").reset_index(drop=True)
    write_csv(target, history)
    return history


class HistoryLogger(keras.callbacks.CSVLogger):
    """Keras's CSVLogger, epochs numbered from 1, with ``history.csv`` published atomically.

    CSVLogger streams rows to ``stream`` (appending when a run resumes); after
    every epoch the whole table is renamed into place as ``target``, so
    ``history.csv`` is never a half-written file.
    """

    def __init__(self, stream: Path, target: Path, append: bool = False) -> None:
        super().__init__(str(stream), append=append)
        self.stream, self.target = Path(stream), Path(target)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_end(epoch + 1, logs)
        self.csv_file.flush()
        publish_history(self.stream, self.target)

    def close(self) -> None:
        """Close the stream: a fit ended by an exception (a signal, an error) skips ``on_train_end``,
        which closes it, and the file stayed open for the rest of the process (a sweep's next jobs)."""
        csv_file = getattr(self, "csv_file", None)
        if csv_file is not None and not csv_file.closed:
            csv_file.close()


class EpochKeyedRandomness(keras.callbacks.Callback):
    """Re-key every random layer (Dropout, RReLU, ...) at each epoch start from (its seed, epoch).

    ``BackupAndRestore`` saves weights and optimizer state but not the layers'
    seed-generator states, so a resumed run would otherwise draw different
    dropout masks than an uninterrupted one.
    """

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._states = keras_compat.seed_states(self.model)
        self._seeds = [int(keras.ops.convert_to_numpy(v)[0]) for v in self._states]

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        for state, seed in zip(self._states, self._seeds):
            state.assign(np.array([seed, epoch << 20], dtype=state.dtype))


class BatchStartCheck(keras.callbacks.Callback):
    """Calls :meth:`check` on the training thread before every epoch and every batch.

    Acting when a batch *begins* keeps Keras's asynchronous batch-end dispatch
    on (see :func:`dispatch_async`): a callback with a batch-*end* hook turns
    it off.
    """

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.check()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.check()

    def check(self) -> None:
        """Stop training here if there is a reason to."""
        raise NotImplementedError


class StopOnSignal(BatchStartCheck):
    """Defers the job's Ctrl-C / SIGTERM stop to the next batch boundary while training.

    Raising (rather than setting ``stop_training``) ends ``fit`` without
    ``on_epoch_end``: the partial epoch is neither logged nor backed up, so a
    resumed run repeats exactly that epoch. See :mod:`kexp.training.signals`.
    """

    def __init__(self, guard: SignalGuard) -> None:
        super().__init__()
        self.guard = guard

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.guard.deferred = True

    def check(self) -> None:
        """Raise :class:`~kexp.training.signals.TrainingInterrupted` once a signal has arrived."""
        self.guard.check()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.guard.deferred = False


def dispatch_async(callback: keras.callbacks.Callback) -> keras.callbacks.Callback:
    """Mark ``callback`` safe for Keras's asynchronous batch-end dispatch and return it.

    On the backends that dispatch steps asynchronously (JAX, torch), Keras runs
    batch-end hooks on a worker thread unless a callback overrides one without
    declaring ``async_safe``; one such callback makes every step wait for its
    loss to reach the host. Keras's ``BackupAndRestore`` and ``ModelCheckpoint``
    saving per epoch do nothing at a batch end, so they are safe. (TensorFlow's
    trainer is synchronous either way.)
    """
    callback.async_safe = True
    return callback


class TerminateOnNaNWithoutWaiting(BatchStartCheck, keras.callbacks.TerminateOnNaN):
    """Keras's ``TerminateOnNaN`` that lets batch ends be dispatched asynchronously.

    The loss is checked on Keras's callback thread; the stop is requested from
    the training thread when a batch begins, so training stops a few batches
    after the first non-finite loss (as many as the callback thread lags
    behind; at the latest one batch into the next epoch, since Keras waits for
    that thread at each epoch end) instead of at once. (Setting
    ``stop_training`` from the callback thread makes Keras 3.15's JAX trainer
    fail with "Array has been deleted" when it reads the epoch's metrics.)
    """

    async_safe = True

    def __init__(self) -> None:
        super().__init__()
        self.invalid_batch: int | None = None

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss) and self.invalid_batch is None:
            self.invalid_batch = batch
            log.warning("batch %d: the loss is %s, stopping", batch, loss)

    def check(self) -> None:
        """Ask Keras to stop once a non-finite loss has been seen."""
        if self.invalid_batch is not None:
            self.model.stop_training = True
