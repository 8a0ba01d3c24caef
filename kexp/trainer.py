"""The ``trainer`` config group: compile, fit and evaluate a model."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import pandas as pd
from omegaconf import DictConfig

from kexp.artifacts import HISTORY_FILE
from kexp.callbacks import EpochLogLine, EpochStats, OneBasedCSVLogger
from kexp.data import Dataset


@dataclass(frozen=True)
class FitResult:
    """What ``fit`` produced: the per-epoch table and the wall time of training."""

    history: pd.DataFrame
    train_seconds: float
    images_seen: int


def keras_verbose(setting: str | int) -> int:
    """``auto`` → progress bar (1) in a terminal, silent (0) otherwise."""
    if setting == "auto":
        return 1 if sys.stdout.isatty() else 0
    return int(setting)


def compile_model(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> None:
    """Softmax outputs + sparse categorical cross-entropy + accuracy."""
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])


def fit(model: keras.Model, data: Dataset, cfg: DictConfig, run_dir: Path) -> FitResult:
    """Train ``model`` on ``data`` and stream the history to ``history.csv``."""
    callbacks = [EpochStats(), OneBasedCSVLogger(str(run_dir / HISTORY_FILE)),
                 EpochLogLine(cfg.epochs)]
    started = time.perf_counter()
    model.fit(data.x_train, data.y_train, validation_data=(data.x_val, data.y_val),
              epochs=cfg.epochs, batch_size=cfg.batch_size, callbacks=callbacks,
              verbose=keras_verbose(cfg.get("verbose", "auto")))
    seconds = time.perf_counter() - started
    history = pd.read_csv(run_dir / HISTORY_FILE)
    return FitResult(history, seconds, images_seen=len(data.x_train) * len(history))


def evaluate(model: keras.Model, data: Dataset, batch_size: int) -> dict[str, float]:
    """Loss and accuracy on the test split."""
    scores = model.evaluate(data.x_test, data.y_test, batch_size=batch_size, verbose=0,
                            return_dict=True)
    return {f"test_{k}": float(v) for k, v in scores.items()}
