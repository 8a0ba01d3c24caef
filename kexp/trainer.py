"""The ``trainer`` config group: compile and fit (resumable, weighted) a model."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from omegaconf import DictConfig

from kexp.artifacts import HISTORY_FILE
from kexp.callbacks import (EpochKeyedRandomness, EpochLogLine, EpochStats, HistoryLogger,
                            StopOnSignal, TerminateOnNaNWithoutWaiting, TrainingInterrupted,
                            dispatch_async, publish_history)
from kexp.data import Dataset
from kexp.errors import ConfigError
from kexp.tasks import Task

BACKUP_DIR = "backup"
HISTORY_STREAM = ".history.stream.csv"


@dataclass(frozen=True)
class FitResult:
    """What ``fit`` produced: per-epoch table, wall time, and how training ended."""

    history: pd.DataFrame
    train_seconds: float
    images_seen: int
    status: str  # ok | interrupted | diverged
    signum: int | None = None


def keras_verbose(setting: str | int) -> int:
    """``auto`` → progress bar (1) in a terminal, silent (0) otherwise."""
    if setting == "auto":
        return 1 if sys.stdout.isatty() else 0
    return int(setting)


def compile_model(model: keras.Model, optimizer: keras.optimizers.Optimizer,
                  cfg: DictConfig | None = None, task: Task | None = None) -> None:
    """Compile with the task's loss and metrics (default: multiclass, sparse cross-entropy).

    ``trainer.jit_compile`` (auto | true | false) and ``trainer.steps_per_execution``
    go to ``keras.Model.compile`` as they are. Under ``mixed_float16`` Keras
    wraps the optimizer in a ``LossScaleOptimizer`` itself.
    """
    cfg = cfg or DictConfig({})
    task = task or Task("multiclass")
    jit = cfg.get("jit_compile", "auto")
    model.compile(optimizer=optimizer, loss=task.loss(), metrics=task.metrics(),
                  jit_compile=jit if jit == "auto" else bool(jit),
                  steps_per_execution=int(cfg.get("steps_per_execution", 1)))


def training_weights(data: Dataset, class_weight) -> np.ndarray | None:
    """Per-sample loss weights: ``data.sample_weight`` × the class weight of each label.

    ``class_weight`` is ``none``, ``balanced`` (scikit-learn's
    ``n_samples / (n_classes · count)``) or a mapping label → weight (others 1).
    """
    weights = data.w_train
    if class_weight in (None, "none"):
        return weights
    if not data.has_class_labels:
        raise ConfigError.bad_value("trainer.class_weight", str(class_weight),
                                    "needs class labels; use none for regression")
    labels = data.y_train.astype("int64").reshape(-1)
    present = np.unique(labels)
    if class_weight == "balanced":
        from sklearn.utils.class_weight import compute_class_weight

        per_class = dict(zip(present, compute_class_weight("balanced", classes=present, y=labels)))
    else:
        per_class = {int(k): float(v) for k, v in dict(class_weight).items()}
    by_sample = np.array([per_class.get(int(c), 1.0) for c in range(labels.max() + 1)],
                         dtype="float32")[labels]
    return by_sample if weights is None else by_sample * weights


def is_resuming(run_dir: Path) -> bool:
    """True when ``run_dir`` holds the backup of an unfinished run."""
    return (run_dir / BACKUP_DIR).is_dir() and (run_dir / HISTORY_STREAM).is_file()


def completed_epochs(run_dir: Path) -> int:
    """Epochs saved in ``run_dir/backup`` (Keras ``BackupAndRestore``'s metadata); 0 if none."""
    metadata = run_dir / BACKUP_DIR / "training_metadata.json"
    try:
        return int(json.loads(metadata.read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


def training_inputs(data: Dataset, cfg: DictConfig, seed: int, first_epoch: int,
                    batch_size: int, weights: np.ndarray | None = None) -> dict:
    """``fit`` keyword arguments for the training data of epochs ``first_epoch`` on.

    TensorFlow: a ``tf.data`` pipeline shuffled per epoch by ``(seed, epoch)``,
    so resumed runs repeat the uninterrupted run's batches. Other backends:
    the arrays, shuffled by Keras. ``weights``: per-sample loss weights.
    """
    if keras.backend.backend() == "tensorflow":
        from kexp.tensorflow_runtime import epoch_seeded_dataset

        dataset, steps = epoch_seeded_dataset(data.x_train, data.y_train, batch_size, seed,
                                              first_epoch, int(cfg.epochs), weights=weights)
        return {"x": dataset, "steps_per_epoch": steps, "shuffle": False}
    return {"x": data.x_train, "y": data.y_train, "sample_weight": weights,
            "batch_size": batch_size, "shuffle": True}


def training_callbacks(run_dir: Path, epochs: int, stop_on_signal: StopOnSignal,
                       configured: list[keras.callbacks.Callback],
                       append_history: bool = False) -> list[keras.callbacks.Callback]:
    """kexp's callbacks around the ``configured`` ones, in the order they must run.

    None of them waits on a step's results at a batch end, so Keras keeps its
    asynchronous batch-end dispatch on the backends that have it (JAX, torch).
    """
    return [
        EpochKeyedRandomness(),
        EpochStats(),
        *configured,
        HistoryLogger(run_dir / HISTORY_STREAM, run_dir / HISTORY_FILE, append=append_history),
        dispatch_async(keras.callbacks.BackupAndRestore(str(run_dir / BACKUP_DIR))),
        TerminateOnNaNWithoutWaiting(),
        stop_on_signal,
        EpochLogLine(epochs),
    ]


def fit(model: keras.Model, data: Dataset, cfg: DictConfig, run_dir: Path, seed: int = 0,
        callbacks: list[keras.callbacks.Callback] | None = None, replicas: int = 1) -> FitResult:
    """Train ``model`` on ``data``, streaming ``history.csv``; resume an unfinished run.

    Keras ``BackupAndRestore`` keeps the last completed epoch in
    ``run_dir/backup``: running again into the same directory continues there.
    ``callbacks`` (schedule, early stopping, ...) run before the history is
    logged; ``replicas`` multiplies ``trainer.batch_size`` into the global batch.
    """
    resuming = is_resuming(run_dir)
    done_before = len(pd.read_csv(run_dir / HISTORY_STREAM)) if resuming else 0
    if not resuming:
        shutil.rmtree(run_dir / BACKUP_DIR, ignore_errors=True)
    stop_on_signal = StopOnSignal()
    batch_size = int(cfg.batch_size) * replicas
    weights = training_weights(data, cfg.get("class_weight", "none"))
    callbacks = training_callbacks(run_dir, int(cfg.epochs), stop_on_signal, callbacks or [],
                                   append_history=resuming)
    started = time.perf_counter()
    status, signum = "ok", None
    try:
        first_epoch = completed_epochs(run_dir) if resuming else 0
        model.fit(**training_inputs(data, cfg, seed, first_epoch, batch_size, weights),
                  validation_data=(data.x_val, data.y_val), validation_batch_size=batch_size,
                  epochs=cfg.epochs, callbacks=callbacks,
                  verbose=keras_verbose(cfg.get("verbose", "auto")))
    except TrainingInterrupted as stop:
        status, signum = "interrupted", stop.signum
    finally:
        stop_on_signal.restore()
    seconds = time.perf_counter() - started
    stream = run_dir / HISTORY_STREAM
    history = publish_history(stream, run_dir / HISTORY_FILE) if stream.is_file() else pd.DataFrame()
    if status == "ok" and len(history) and not np.isfinite(history["loss"].iloc[-1]):
        status = "diverged"
    if status in ("ok", "diverged"):
        stream.unlink(missing_ok=True)
        shutil.rmtree(run_dir / BACKUP_DIR, ignore_errors=True)
    images = len(data.x_train) * max(len(history) - done_before, 0)
    return FitResult(history, seconds, images_seen=images, status=status, signum=signum)
