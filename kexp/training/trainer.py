"""The ``trainer`` config group: compile and fit (resumable, weighted) a model."""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np
import pandas as pd

from kexp.config.errors import ConfigError
from kexp.data import Dataset
from kexp.data.pipeline import close_inputs, training_inputs, validation_inputs
from kexp.runs.layout import BACKUP_DIR, HISTORY_FILE, HISTORY_STREAM, completed_epochs
from kexp.training.backup import AtomicBackupAndRestore, remove_backup
from kexp.training.callbacks import (
    EpochKeyedRandomness,
    EpochLogLine,
    EpochStats,
    HistoryLogger,
    StopOnSignal,
    TerminateOnNaNWithoutWaiting,
    publish_history,
)
from kexp.training.execution import FitBatches, resident_training_arrays, set_steps_per_call, steps_per_call
from kexp.training.signals import SignalGuard
from kexp.training.tasks import Task

if TYPE_CHECKING:
    from kexp.config.schema.optimizer import OptimizerSettings
    from kexp.config.schema.trainer import TrainerConfig

log = logging.getLogger("kexp")


@dataclass(frozen=True)
class FitPlace:
    """Where a fit runs: its run directory, the guard its signals go through, the seed of the
    data order, and how many devices share each batch (``trainer.batch_size`` each)."""

    run_dir: Path
    guard: SignalGuard
    seed: int = 0
    replicas: int = 1


@dataclass(frozen=True)
class Compilation:
    """How a model is compiled: the optimizer (its ``_target_`` and arguments, a fresh one each
    time), the task's loss and metrics and ``trainer.jit_compile``. (The batches per compiled call,
    ``trainer.steps_per_execution``, are set by :func:`fit`, which knows the callbacks.)"""

    optimizer: OptimizerSettings
    task: Task
    jit_compile: str | bool = "auto"

    def compile(self, model: keras.Model, learning_rate: float | None = None) -> None:
        """Compile ``model`` with a new optimizer (at ``learning_rate`` when given)."""
        from kexp.training.optimizers import build_optimizer

        optimizer = self.optimizer if learning_rate is None else self.optimizer.at_rate(learning_rate)
        compile_model(model, build_optimizer(optimizer), self.task, self.jit_compile)


@dataclass(frozen=True)
class FitResult:
    """What ``fit`` produced: per-epoch table, wall time, and how training ended."""

    history: pd.DataFrame
    train_seconds: float
    images_seen: int
    status: str  # ok | diverged | pruned


def keras_verbose(setting: str | int) -> int:
    """``auto`` → progress bar (1) in a terminal, silent (0) otherwise."""
    if setting == "auto":
        return 1 if sys.stdout.isatty() else 0
    return int(setting)


def compile_model(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    task: Task | None = None,
    jit_compile: str | bool = "auto",
) -> None:
    """Compile with the task's loss and metrics (default: multiclass, sparse cross-entropy).

    ``jit_compile`` (auto | true | false, ``trainer.jit_compile``) goes to
    ``keras.Model.compile`` as it is; one batch per compiled call until
    :func:`fit` sets ``trainer.steps_per_execution``. Under ``mixed_float16``
    Keras wraps the optimizer in a ``LossScaleOptimizer`` itself.
    """
    task = task or Task("multiclass")
    from kexp.backends.start import batch_shard

    # Over several devices (JAX DataParallel) the last validation batch is padded with rows of
    # weight 0 (kexp.backends.batches.SplitBatches): the metrics must honour sample weights
    # there; Keras's plain `metrics` ignore them. (Training metrics are then weighted by
    # data.sample_weight / trainer.class_weight like the loss.)
    weighted = batch_shard() is not None
    loss = task.loss()
    if task.custom_loss is not None:
        from kexp.training.custom_loss import check_loss

        check_loss(loss, task.custom_loss, task.name, int(model.output_shape[-1]))
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=None if weighted else task.metrics(),
        weighted_metrics=task.metrics() if weighted else None,
        jit_compile=jit_compile,
    )


def training_weights(data: Dataset, class_weight) -> np.ndarray | None:
    """Per-sample loss weights: ``data.sample_weight`` × the class weight of each label.

    ``class_weight`` is ``none``, ``balanced`` (scikit-learn's
    ``n_samples / (n_classes · count)``) or a mapping label → weight (others 1).
    """
    weights = data.train.weights
    if class_weight in (None, "none"):
        return weights
    if not data.has_class_labels:
        raise ConfigError.bad_value(
            "trainer.class_weight", str(class_weight), "needs class labels; use none for regression"
        )
    labels = data.y_train.astype("int64").reshape(-1)
    present = np.unique(labels)
    if class_weight == "balanced":
        from sklearn.utils.class_weight import compute_class_weight

        per_class = dict(zip(present, compute_class_weight("balanced", classes=present, y=labels)))
    else:
        per_class = {int(k): float(v) for k, v in dict(class_weight).items()}
    by_sample = np.array([per_class.get(int(c), 1.0) for c in range(labels.max() + 1)], dtype="float32")[labels]
    return by_sample if weights is None else by_sample * weights


def previous_history(run_dir: Path) -> pd.DataFrame | None:
    """The epochs of an unfinished run that its backup holds (``history.csv`` rows), else None.

    Rows logged after the last backup (a kill between the two) are left out:
    the resumed run trains those epochs again.
    """
    done = completed_epochs(run_dir / BACKUP_DIR)
    history = run_dir / HISTORY_FILE
    if done == 0 or not history.is_file():
        return None
    table = pd.read_csv(history)
    return table[table["epoch"] <= done].reset_index(drop=True)


def training_callbacks(
    run_dir: Path,
    epochs: int,
    guard: SignalGuard,
    configured: list[keras.callbacks.Callback],
    append_history: bool = False,
    phase: int = 1,
) -> list[keras.callbacks.Callback]:
    """kexp's callbacks around the ``configured`` ones, in the order they must run.

    None of them waits on a step's results at a batch end, so Keras keeps its
    asynchronous batch-end dispatch on the backends that have it (JAX, torch).
    """
    return [
        EpochKeyedRandomness(),
        EpochStats(),
        *configured,
        HistoryLogger(run_dir / HISTORY_STREAM, run_dir / HISTORY_FILE, append=append_history),
        AtomicBackupAndRestore(run_dir, phase),
        TerminateOnNaNWithoutWaiting(),
        StopOnSignal(guard),
        EpochLogLine(epochs),
    ]


def fit(
    model: keras.Model,
    data: Dataset,
    trainer: TrainerConfig,
    place: FitPlace,
    callbacks: list[keras.callbacks.Callback] | None = None,
    phase: int = 1,
) -> FitResult:
    """Train ``model`` on ``data``, streaming ``history.csv``; resume an unfinished run.

    ``backup/`` (:mod:`kexp.training.backup`) holds the last completed epoch: running
    again into the same directory continues there. ``callbacks`` (schedule,
    early stopping, ...) run before the history is logged; ``replicas``
    multiplies ``trainer.batch_size`` into the global batch. A signal (through
    ``place.guard``) raises :class:`~kexp.training.signals.TrainingInterrupted` at the next
    batch start, after ``history.csv`` is published.
    """
    run_dir, guard = place.run_dir, place.guard
    done_before = completed_epochs(run_dir / BACKUP_DIR)
    stream = run_dir / HISTORY_STREAM
    if done_before == 0:
        stream.unlink(missing_ok=True)
        remove_backup(run_dir)
    batch_size = trainer.batch_size * place.replicas
    train = replace(data.train, weights=training_weights(data, trainer.class_weight))
    from kexp.backends.start import batch_shard

    shard = batch_shard()  # (None unless a batch is split over several devices)
    if shard is not None:
        log.info(
            "process %d of %d feeds %d of each global batch of %d; per epoch %d whole batches "
            "(%d training samples left out of each epoch; validation: all %d, the last batch padded "
            "with weight 0)",
            shard[0],
            shard[1],
            batch_size // shard[1],
            batch_size,
            len(train) // batch_size,
            len(train) % batch_size,
            len(data.val),
        )
    given = list(callbacks or [])
    callbacks = training_callbacks(run_dir, trainer.epochs, guard, given, append_history=done_before > 0, phase=phase)
    if getattr(model.optimizer, "use_ema", False):
        # validation on the averaged weights, the ones fit() leaves in the model for the test:
        # val_* and test_* then describe the same model (checkpoints and backups keep the raw ones)
        callbacks.insert(0, keras.callbacks.SwapEMAWeights())
    steps_per_epoch = max(len(train) // batch_size if shard is not None else math.ceil(len(train) / batch_size), 1)
    batches = FitBatches(
        batch_size, steps_per_epoch, steps_per_epoch * max(trainer.epochs - done_before, 0), place.replicas
    )
    steps, why = steps_per_call(trainer.steps_per_execution, model, batches, callbacks)
    if why != "as set":
        log.info("trainer.steps_per_execution: %s", why)
    resident = resident_training_arrays(model, train, trainer.steps_per_execution)
    set_steps_per_call(model, steps, batches, resident)
    if resident is None:
        inputs = training_inputs(train, batch_size, place.seed, done_before, trainer.epochs, shard)
    else:
        from kexp.backends.resident import row_inputs

        inputs = row_inputs(model, train, batch_size, place.seed, done_before)
    inputs |= validation_inputs(data.val, batch_size, shard, passes=trainer.epochs - done_before)
    started = time.perf_counter()
    try:
        model.fit(
            **inputs,
            epochs=trainer.epochs,
            callbacks=callbacks,
            verbose=keras_verbose(trainer.verbose),
        )
    finally:
        guard.deferred = False
        seconds = time.perf_counter() - started
        close_inputs(inputs)
        for callback in callbacks:
            if isinstance(callback, HistoryLogger):
                callback.close()
        if resident is not None:  # (its train function reads row numbers: a later fit of the model gets Keras's)
            model.train_function = None
        if getattr(model.optimizer, "use_ema", False) and keras.backend.backend() == "jax":
            from kexp.backends.jax import unshare_averaged_weights

            unshare_averaged_weights(model)
        # (empty when fit failed before its first epoch ended: CSVLogger wrote no header yet)
        history = (
            publish_history(stream, run_dir / HISTORY_FILE)
            if stream.is_file() and stream.stat().st_size
            else pd.DataFrame()
        )
    status = "diverged" if len(history) and not np.isfinite(history["loss"].iloc[-1]) else "ok"
    if status == "ok" and any(getattr(c, "pruned", False) for c in given):  # (a search's pruner stopped it)
        status = "pruned"
    trained_per_epoch = len(train) - len(train) % batch_size if shard is not None else len(train)
    images = trained_per_epoch * max(len(history) - done_before, 0)
    return FitResult(history, seconds, images_seen=images, status=status)
