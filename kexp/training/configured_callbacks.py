"""Keras callbacks that the config asks for: schedule, early stopping, checkpoints,
gradient diagnostics and the user's own (``trainer.callbacks``, each by
``_target_``). The loggers' callbacks (TensorBoard, MLflow) come from
:mod:`kexp.loggers`.

kexp's fixed callbacks (history, backup, NaN and signal handling) are added by
:func:`kexp.training.trainer.fit`; these come before its ``CSVLogger`` so that what they
write into the epoch logs (e.g. ``learning_rate``) lands in ``history.csv``.
"""

from __future__ import annotations

from pathlib import Path

import keras
import pandas as pd
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import ConfigError
from kexp.data import Dataset
from kexp.runs.layout import BEST_CHECKPOINT, CHECKPOINT_DIR, LAST_CHECKPOINT
from kexp.training.callbacks import dispatch_async
from kexp.training.resumable_callbacks import ResumableBestCheckpoint, ResumableEarlyStopping
from kexp.training.schedules import build_schedule


def configured_callbacks(
    cfg: DictConfig, run_dir: Path, data: Dataset | None = None, previous: pd.DataFrame | None = None
) -> list[keras.callbacks.Callback]:
    """Every callback ``cfg`` switches on, in the order they should run.

    ``data`` supplies the fixed batch of ``trainer.gradient_flow``; ``previous``
    (the epochs an unfinished run already trained) restores the state of the
    callbacks that have one (:mod:`kexp.training.resumable_callbacks`).
    """
    # Checkpoints before early stopping: EarlyStopping restores the best weights
    # in the epoch it stops, and last.keras must hold that epoch's own weights.
    callbacks = [
        build_schedule(cfg.schedule, previous),
        *checkpoints(cfg.trainer.checkpoint, run_dir, previous),
        early_stopping(cfg.regularization.early_stopping, run_dir, previous),
        gradient_flow(cfg.trainer.gradient_flow, data, run_dir, cfg.seed),
        *user_callbacks(cfg.trainer.callbacks),
    ]
    return [c for c in callbacks if c is not None]


def early_stopping(
    cfg: DictConfig, run_dir: Path, previous: pd.DataFrame | None = None
) -> keras.callbacks.EarlyStopping | None:
    """``keras.callbacks.EarlyStopping`` (resumable) when ``patience`` is set."""
    if cfg.patience is None:
        return None
    return ResumableEarlyStopping(
        run_dir,
        previous,
        monitor=cfg.monitor,
        patience=cfg.patience,
        min_delta=cfg.min_delta,
        restore_best_weights=cfg.restore_best_weights,
        verbose=0,
    )


def checkpoints(
    cfg: DictConfig, run_dir: Path, previous: pd.DataFrame | None = None
) -> list[keras.callbacks.ModelCheckpoint]:
    """``ModelCheckpoint`` for ``checkpoints/best.keras`` and/or ``checkpoints/last.keras``."""
    folder = run_dir / CHECKPOINT_DIR
    found = []
    if cfg.best:
        found.append(ResumableBestCheckpoint(folder / BEST_CHECKPOINT, cfg.monitor, previous))
    if cfg.last:
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
        if not OmegaConf.is_dict(spec) or "_target_" not in spec:
            raise ConfigError.bad_value(
                key, str(spec), "must be a mapping with _target_ (a keras.callbacks.Callback class)"
            )
        try:
            callback = instantiate(spec, _convert_="all")
        except InstantiationException as err:
            raise ConfigError(f"{key} ({spec._target_}) — {err.__cause__ or err}") from err
        if not isinstance(callback, keras.callbacks.Callback):
            raise ConfigError.bad_value(key, str(spec._target_), "must make a keras.callbacks.Callback")
        made.append(callback)
    return made
