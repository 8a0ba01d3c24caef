"""Keras callbacks that the config asks for: schedule, early stopping, checkpoints,
gradient diagnostics and the user's own (``trainer.callbacks``, each by
``_target_``). The loggers' callbacks (TensorBoard, MLflow) come from
:mod:`kexp.loggers`.

kexp's fixed callbacks (history, backup, NaN and signal handling) are added by
:func:`kexp.training.trainer.fit`; these come before its ``CSVLogger`` so that what they
write into the epoch logs (e.g. ``learning_rate``) lands in ``history.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import pandas as pd
from hydra.errors import InstantiationException
from omegaconf import OmegaConf

from kexp.compat.hydra import instantiate
from kexp.config.errors import ConfigError
from kexp.data import Dataset
from kexp.runs.layout import BEST_CHECKPOINT, CHECKPOINT_DIR, LAST_CHECKPOINT
from kexp.training.callbacks import dispatch_async
from kexp.training.resumable_callbacks import ResumableBestCheckpoint, ResumableEarlyStopping
from kexp.training.schedules import build_schedule

if TYPE_CHECKING:
    from kexp.config.run_settings import RunSettings
    from kexp.config.schema.regularization import EarlyStoppingConfig
    from kexp.config.schema.trainer import CheckpointConfig


def configured_callbacks(
    settings: RunSettings, run_dir: Path, data: Dataset | None = None, previous: pd.DataFrame | None = None
) -> list[keras.callbacks.Callback]:
    """Every callback the run's settings switch on (schedule, trainer, regularization), in the order
    they should run.

    ``data`` supplies the fixed batch of ``trainer.gradient_flow``; ``previous``
    (the epochs an unfinished run already trained) restores the state of the
    callbacks that have one (:mod:`kexp.training.resumable_callbacks`).
    """
    # Checkpoints before early stopping: EarlyStopping restores the best weights
    # in the epoch it stops, and last.keras must hold that epoch's own weights.
    callbacks = [
        build_schedule(settings.schedule, previous),
        *checkpoints(settings.trainer.checkpoint, run_dir, previous),
        early_stopping(settings.regularization.early_stopping, run_dir, previous),
        gradient_flow(settings.trainer.gradient_flow, data, run_dir, settings.seed),
        *user_callbacks(settings.trainer.callbacks),
    ]
    return [c for c in callbacks if c is not None]


def early_stopping(
    early: EarlyStoppingConfig, run_dir: Path, previous: pd.DataFrame | None = None
) -> keras.callbacks.EarlyStopping | None:
    """``keras.callbacks.EarlyStopping`` (resumable) when ``patience`` is set."""
    if early.patience is None:
        return None
    return ResumableEarlyStopping(
        run_dir,
        previous,
        monitor=early.monitor,
        patience=early.patience,
        min_delta=early.min_delta,
        restore_best_weights=early.restore_best_weights,
        verbose=0,
    )


def checkpoints(
    checkpoint: CheckpointConfig, run_dir: Path, previous: pd.DataFrame | None = None
) -> list[keras.callbacks.ModelCheckpoint]:
    """``ModelCheckpoint`` for ``checkpoints/best.keras`` and/or ``checkpoints/last.keras``."""
    folder = run_dir / CHECKPOINT_DIR
    found = []
    if checkpoint.best:
        found.append(ResumableBestCheckpoint(folder / BEST_CHECKPOINT, checkpoint.monitor, previous))
    if checkpoint.last:
        found.append(dispatch_async(keras.callbacks.ModelCheckpoint(str(folder / LAST_CHECKPOINT), verbose=0)))
    if found:
        folder.mkdir(parents=True, exist_ok=True)
    return found


def gradient_flow(enabled: bool, data: Dataset | None, run_dir: Path, seed: int) -> keras.callbacks.Callback | None:
    """:class:`kexp.reporting.gradient_flow.GradientFlow` on a fixed, seeded batch of training data."""
    if not enabled or data is None:
        return None
    from kexp.reporting.gradient_flow import GradientFlow, fixed_batch

    return GradientFlow(*fixed_batch(data.train, seed=seed), run_dir)


def user_callbacks(specs) -> list[keras.callbacks.Callback]:
    """Instantiate each ``{_target_: ..., **kwargs}`` of ``trainer.callbacks``."""
    made = []
    for index, spec in enumerate(specs):
        key = f"trainer.callbacks[{index}]"
        if not (isinstance(spec, Mapping) or OmegaConf.is_dict(spec)) or "_target_" not in spec:
            raise ConfigError.bad_value(
                key, str(spec), "must be a mapping with _target_ (a keras.callbacks.Callback class)"
            )
        try:
            callback = instantiate(spec, _convert_="all")
        except InstantiationException as err:
            raise ConfigError(f"{key} ({spec['_target_']}) — {err.__cause__ or err}") from err
        if not isinstance(callback, keras.callbacks.Callback):
            raise ConfigError.bad_value(key, str(spec["_target_"]), "must make a keras.callbacks.Callback")
        made.append(callback)
    return made
