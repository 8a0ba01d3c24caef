"""Callbacks that carry their state across a resumed run.

A resumed ``fit`` starts Keras's callbacks afresh; ``BackupAndRestore`` brings
back weights and optimizer, not the callbacks' counters. Each callback here
derives its state from the epochs already in ``history.csv`` by replaying
its own ``on_epoch_end`` on those rows (the Keras code decides, not a copy of
it), so a resumed run stops, reduces the rate and checkpoints at exactly the
epochs an uninterrupted run does:

- :class:`ResumableEarlyStopping`: ``wait``, ``best`` and ``best_epoch``; its
  best weights are kept in ``backup/early_stopping_best.npz`` and restored.
- :class:`ResumablePlateau`: ``ReduceLROnPlateau``'s ``wait``, ``best`` and
  ``cooldown_counter`` (the rate itself comes back with the optimizer).
- :class:`ResumableBestCheckpoint`: ``ModelCheckpoint(save_best_only)`` starts
  from the best value so far, so ``best.keras`` is never overwritten by a
  worse epoch.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from kexp.compat import keras as keras_compat
from kexp.runs.layout import BACKUP_DIR, EARLY_STOPPING_BEST

BEST_WEIGHTS_FILE = EARLY_STOPPING_BEST


def replay_rows(history: pd.DataFrame | None) -> list[tuple[int, dict[str, float]]]:
    """``(keras epoch index, logs)`` for each completed epoch of a history table."""
    if history is None or not len(history):
        return []
    rows = history.to_dict("records")
    return [(int(row["epoch"]) - 1, {k: float(v) for k, v in row.items() if k != "epoch"}) for row in rows]


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``EarlyStopping`` that resumes its patience, best value and best weights."""

    def __init__(self, run_dir: Path, previous: pd.DataFrame | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.previous = previous
        self.best_weights_path = Path(run_dir) / BACKUP_DIR / BEST_WEIGHTS_FILE

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        rows = replay_rows(self.previous)
        for epoch, row in rows:
            super().on_epoch_end(epoch, dict(row))
        self.model.stop_training = False
        if rows and self.restore_best_weights and self.best_weights_path.is_file():
            with np.load(self.best_weights_path) as saved:
                self.best_weights = [saved[f"arr_{i}"] for i in range(len(saved.files))]

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        best = self.best
        super().on_epoch_end(epoch, logs)
        if self.restore_best_weights and self.best is not best and self.best_weights is not None:
            self._keep_best_weights()

    def _keep_best_weights(self) -> None:
        from kexp.runs.atomic import atomic_path

        self.best_weights_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.best_weights_path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, *self.best_weights)
            handle.flush()
            os.fsync(handle.fileno())


class ResumablePlateau(keras.callbacks.ReduceLROnPlateau):
    """``ReduceLROnPlateau`` that resumes its waiting and cooldown counters."""

    def __init__(self, previous: pd.DataFrame | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.previous = previous

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        optimizer = self.model.optimizer
        rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        for epoch, row in replay_rows(self.previous):
            super().on_epoch_end(epoch, dict(row))
        optimizer.learning_rate = rate  # the real rate comes back with the optimizer's state


class ResumableBestCheckpoint(keras.callbacks.ModelCheckpoint):
    """``ModelCheckpoint(save_best_only=True)`` that starts from the best ``monitor`` value so far."""

    async_safe = True  # saves at epoch ends only (see kexp.training.callbacks.dispatch_async)

    def __init__(self, path: Path, monitor: str, previous: pd.DataFrame | None = None) -> None:
        super().__init__(str(path), monitor=monitor, save_best_only=True, verbose=0)
        self.previous = previous

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        for _, row in replay_rows(self.previous):
            value = row.get(self.monitor)
            if value is not None and np.isfinite(value) and keras_compat.checkpoint_improves(self, value):
                self.best = value
