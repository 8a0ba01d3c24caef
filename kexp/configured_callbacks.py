"""Keras callbacks that the config asks for: schedule, early stopping, checkpoints,
gradient diagnostics, TensorBoard and the user's own (``trainer.callbacks``,
each by ``_target_``).

kexp's fixed callbacks (history, backup, NaN and signal handling) are added by
:func:`kexp.trainer.fit`; these come before its ``CSVLogger`` so that what they
write into the epoch logs (e.g. ``learning_rate``) lands in ``history.csv``.
"""

from __future__ import annotations

from pathlib import Path

import keras
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from kexp.callbacks import dispatch_async
from kexp.data import Dataset
from kexp.errors import ConfigError
from kexp.runtime import missing_tensorboard_packages
from kexp.schedules import build_schedule

CHECKPOINT_DIR = "checkpoints"
TENSORBOARD_DIR = "tensorboard"


def configured_callbacks(cfg: DictConfig, run_dir: Path,
                         data: Dataset | None = None) -> list[keras.callbacks.Callback]:
    """Every callback ``cfg`` switches on, in the order they should run.

    ``data`` supplies the fixed batch of ``trainer.diagnostics``.
    """
    # Checkpoints before early stopping: EarlyStopping restores the best weights
    # in the epoch it stops, and last.keras must hold that epoch's own weights.
    callbacks = [build_schedule(cfg.get("schedule")),
                 *checkpoints(cfg.trainer.get("checkpoint"), run_dir),
                 early_stopping(cfg.regularization.get("early_stopping")),
                 gradient_flow(bool(cfg.trainer.get("diagnostics", False)), data, run_dir,
                               int(cfg.get("seed", 0))),
                 tensorboard(bool(cfg.trainer.get("tensorboard", False)), run_dir),
                 *user_callbacks(cfg.trainer.get("callbacks") or [])]
    return [c for c in callbacks if c is not None]


def early_stopping(cfg: DictConfig | None) -> keras.callbacks.EarlyStopping | None:
    """``keras.callbacks.EarlyStopping`` when ``patience`` is set."""
    if not cfg or cfg.get("patience") is None:
        return None
    return keras.callbacks.EarlyStopping(
        monitor=str(cfg.get("monitor", "val_loss")), patience=int(cfg.patience),
        min_delta=float(cfg.get("min_delta", 0.0)),
        restore_best_weights=bool(cfg.get("restore_best_weights", True)), verbose=0)


def checkpoints(cfg: DictConfig | None, run_dir: Path) -> list[keras.callbacks.ModelCheckpoint]:
    """``ModelCheckpoint`` for ``checkpoints/best.keras`` and/or ``checkpoints/last.keras``."""
    if not cfg:
        return []
    folder = run_dir / CHECKPOINT_DIR
    monitor = str(cfg.get("monitor", "val_loss"))
    found = []
    if cfg.get("best"):
        found.append(dispatch_async(keras.callbacks.ModelCheckpoint(
            str(folder / "best.keras"), monitor=monitor, save_best_only=True, verbose=0)))
    if cfg.get("last"):
        found.append(dispatch_async(keras.callbacks.ModelCheckpoint(str(folder / "last.keras"), verbose=0)))
    if found:
        folder.mkdir(parents=True, exist_ok=True)
    return found


def gradient_flow(enabled: bool, data: Dataset | None, run_dir: Path,
                  seed: int) -> keras.callbacks.Callback | None:
    """:class:`kexp.diagnostics.GradientFlow` on a fixed, seeded batch of training data."""
    if not enabled or data is None:
        return None
    from kexp.diagnostics import GradientFlow, fixed_batch

    return GradientFlow(*fixed_batch(data.x_train, data.y_train, seed=seed), run_dir)


def tensorboard(enabled: bool, run_dir: Path) -> keras.callbacks.TensorBoard | None:
    """``keras.callbacks.TensorBoard`` writing into ``tensorboard/``.

    Keras writes the logs with ``tf.summary``: it needs the tensorflow and
    tensorboard packages (``pip install kexp[tensorboard]``), on any backend.
    """
    if not enabled:
        return None
    if missing := missing_tensorboard_packages():
        raise ConfigError.bad_value("trainer.tensorboard", "true",
                                    f"needs the {' and '.join(missing)} package (pip install "
                                    "'kexp[tensorboard]'); or use false")
    return keras.callbacks.TensorBoard(log_dir=str(run_dir / TENSORBOARD_DIR))


def user_callbacks(specs) -> list[keras.callbacks.Callback]:
    """Instantiate each ``{_target_: ..., **kwargs}`` of ``trainer.callbacks``."""
    made = []
    for index, spec in enumerate(specs):
        key = f"trainer.callbacks[{index}]"
        if not OmegaConf.is_dict(spec) or "_target_" not in spec:
            raise ConfigError.bad_value(key, str(spec), "must be a mapping with _target_ "
                                        "(a keras.callbacks.Callback class)")
        try:
            callback = instantiate(spec, _convert_="all")
        except InstantiationException as err:
            raise ConfigError(f"{key} ({spec._target_}) — {err.__cause__ or err}") from err
        if not isinstance(callback, keras.callbacks.Callback):
            raise ConfigError.bad_value(key, str(spec._target_),
                                        "must make a keras.callbacks.Callback")
        made.append(callback)
    return made
