"""The ``trainer`` config group: compile, fit (resumable) and evaluate a model."""

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
                            StopOnSignal, TrainingInterrupted, publish_history)
from kexp.data import Dataset

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
                  cfg: DictConfig | None = None) -> None:
    """Softmax outputs + sparse categorical cross-entropy + accuracy.

    ``trainer.jit_compile`` (auto | true | false) and ``trainer.steps_per_execution``
    go to ``keras.Model.compile`` as they are.
    """
    cfg = cfg or DictConfig({})
    jit = cfg.get("jit_compile", "auto")
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit if jit == "auto" else bool(jit),
                  steps_per_execution=int(cfg.get("steps_per_execution", 1)))


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


def training_inputs(data: Dataset, cfg: DictConfig, seed: int, first_epoch: int) -> dict:
    """``fit`` keyword arguments for the training data of epochs ``first_epoch`` on.

    TensorFlow: a ``tf.data`` pipeline shuffled per epoch by ``(seed, epoch)``,
    so resumed runs repeat the uninterrupted run's batches. Other backends:
    the arrays, shuffled by Keras.
    """
    if keras.backend.backend() == "tensorflow":
        from kexp.tensorflow_runtime import epoch_seeded_dataset

        dataset, steps = epoch_seeded_dataset(data.x_train, data.y_train, int(cfg.batch_size),
                                              seed, first_epoch, int(cfg.epochs))
        return {"x": dataset, "steps_per_epoch": steps, "shuffle": False}
    return {"x": data.x_train, "y": data.y_train, "batch_size": int(cfg.batch_size), "shuffle": True}


def fit(model: keras.Model, data: Dataset, cfg: DictConfig, run_dir: Path, seed: int = 0) -> FitResult:
    """Train ``model`` on ``data``, streaming ``history.csv``; resume an unfinished run.

    Keras ``BackupAndRestore`` keeps the last completed epoch in
    ``run_dir/backup``: running again into the same directory continues there.
    """
    resuming = is_resuming(run_dir)
    done_before = len(pd.read_csv(run_dir / HISTORY_STREAM)) if resuming else 0
    if not resuming:
        shutil.rmtree(run_dir / BACKUP_DIR, ignore_errors=True)
    stop_on_signal = StopOnSignal()
    callbacks = [
        EpochKeyedRandomness(),
        EpochStats(),
        HistoryLogger(run_dir / HISTORY_STREAM, run_dir / HISTORY_FILE, append=resuming),
        keras.callbacks.BackupAndRestore(str(run_dir / BACKUP_DIR)),
        keras.callbacks.TerminateOnNaN(),
        stop_on_signal,
        EpochLogLine(cfg.epochs),
    ]
    started = time.perf_counter()
    status, signum = "ok", None
    try:
        model.fit(**training_inputs(data, cfg, seed, completed_epochs(run_dir) if resuming else 0),
                  validation_data=(data.x_val, data.y_val), validation_batch_size=cfg.batch_size,
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


def evaluate(model: keras.Model, data: Dataset, batch_size: int) -> dict[str, float]:
    """Loss and accuracy on the test split."""
    scores = model.evaluate(data.x_test, data.y_test, batch_size=batch_size, verbose=0,
                            return_dict=True)
    return {f"test_{k}": float(v) for k, v in scores.items()}
