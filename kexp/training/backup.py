"""The training backup of a run: written atomically, kept until the run's last file is written.

``backup/`` in the run directory holds::

    epoch-0004/latest.weights.h5          Keras BackupAndRestore's files for the last
    epoch-0004/training_metadata.json     completed epoch (weights + optimizer slots)
    trained/model.weights.h5, result.json the weights at the end of training and how it
                                          ended (after early stopping's restore)
    early_stopping_best.npz               early stopping's best weights (resumable)

Keras's ``BackupAndRestore`` writes its weights file in place, so a kill (or a
full disk) while writing leaves a damaged file and no other. Here each epoch's
backup is written into a new folder beside the last one and renamed into place;
only then is the previous one removed. A run keeps its backup until
``metrics.csv`` is written, so a rerun after a kill at any moment — in
training, evaluation or saving — finishes what is missing without training
finished epochs again.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import keras

from kexp.compat import keras as keras_compat
from kexp.config.errors import KexpError
from kexp.runs.disk import check_free_space
from kexp.runs.layout import (
    BACKUP_DIR,
    BACKUP_METADATA,
    BACKUP_WEIGHTS,
    EPOCH_PREFIX,
    HISTORY_FILE,
    TRAINED_DIR,
    TRAINED_RESULT,
    TRAINED_WEIGHTS,
    epoch_dirs,
)

WEIGHTS_FILE, METADATA_FILE = BACKUP_WEIGHTS, BACKUP_METADATA  # (Keras BackupAndRestore's names)
_PARTIAL_PREFIX = ".partial-"


@dataclass(frozen=True)
class TrainingEnd:
    """How training ended, kept with the trained weights (``backup/trained/result.json``)."""

    status: str  # ok | diverged | pruned
    train_seconds: float
    images_seen: int

    @property
    def images_per_second(self) -> float:
        """Training throughput; NaN when no time was measured."""
        return round(self.images_seen / self.train_seconds, 1) if self.train_seconds > 0 else float("nan")


class DamagedBackupError(KexpError):
    """A backup file that cannot be read."""

    kind = "backup"


def remove_partial(backup_dir: Path) -> None:
    """Delete what a killed or failed write left (never a complete backup)."""
    if backup_dir.is_dir():
        for partial in backup_dir.glob(f"{_PARTIAL_PREFIX}*"):
            shutil.rmtree(partial, ignore_errors=True)


def damaged(path: Path, run_dir: Path, err: BaseException) -> DamagedBackupError:
    """The one-line error for a backup file that cannot be loaded."""
    reason = str(err).splitlines()[0] if str(err) else type(err).__name__
    return DamagedBackupError(
        f"{path} cannot be read ({reason[:120]}); to restart this run from "
        f"epoch 1, delete {run_dir / BACKUP_DIR} and {run_dir / HISTORY_FILE} "
        "(or run into a new directory)"
    )


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras's ``BackupAndRestore`` with each epoch's backup written beside the last, then switched.

    Restores from the newest complete epoch folder; a backup that cannot be
    read is a :class:`DamagedBackupError` naming the file. Before writing, the
    free space is compared with the size of the last backup.
    """

    async_safe = True  # saves at epoch ends only (see kexp.training.callbacks.dispatch_async)

    def __init__(self, run_dir: Path, phase: int = 1) -> None:
        self.run_dir = Path(run_dir)
        self.phase = phase  # which of kexp.training.fine_tune's phases the weights belong to
        self.folder = self.run_dir / BACKUP_DIR
        super().__init__(str(self.folder), delete_checkpoint=False)
        self.last_size = 0
        newest = epoch_dirs(self.folder)
        self._point_at(newest[-1] if newest else self.folder / f"{EPOCH_PREFIX}none")

    def _point_at(self, folder: Path) -> None:
        # no second copy of the weights: the switch of whole folders is atomic
        keras_compat.point_backup_at(self, folder / WEIGHTS_FILE, folder / METADATA_FILE)

    def on_train_begin(self, logs: dict | None = None) -> None:
        remove_partial(self.folder)
        try:
            super().on_train_begin(logs)
        except (OSError, ValueError, KeyError) as err:
            raise damaged(keras_compat.backup_weights_path(self), self.run_dir, err) from err

    def _save_model(self) -> None:  # (overrides Keras's save: see kexp.compat.keras.save_backup)
        self.folder.mkdir(parents=True, exist_ok=True)
        epoch, batch = keras_compat.backup_position(self)
        partial = self.folder / f"{_PARTIAL_PREFIX}{epoch:04d}-{os.getpid()}"
        check_free_space(self.folder, int(self.last_size * 1.1) + 2**20, f"the backup of epoch {epoch}")
        try:
            partial.mkdir()
            self.model.save_weights(str(partial / WEIGHTS_FILE), overwrite=True)
            (partial / METADATA_FILE).write_text(
                json.dumps({"epoch": epoch, "batch": batch, "phase": self.phase}), encoding="utf-8"
            )
            target = self.folder / f"{EPOCH_PREFIX}{epoch:04d}"
            shutil.rmtree(target, ignore_errors=True)
            os.rename(partial, target)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        self.last_size = sum(f.stat().st_size for f in target.iterdir())
        for older in epoch_dirs(self.folder)[:-1]:
            shutil.rmtree(older, ignore_errors=True)
        self._point_at(target)


def backup_phase(run_dir: Path) -> int:
    """The fine-tuning phase of the newest epoch backup (1 when there is none or it does not say)."""
    newest = epoch_dirs(Path(run_dir) / BACKUP_DIR)
    if not newest or not (newest[-1] / METADATA_FILE).is_file():
        return 1
    return int(json.loads((newest[-1] / METADATA_FILE).read_text(encoding="utf-8")).get("phase", 1))


def rewrite_backup(model: keras.Model, run_dir: Path, epoch: int, phase: int) -> None:
    """Write the backup of ``epoch`` again from ``model`` as it is now (e.g. with a new optimizer)."""
    backup = AtomicBackupAndRestore(run_dir, phase)
    backup.set_model(model)
    keras_compat.set_backup_position(backup, epoch)
    keras_compat.save_backup(backup)


def save_trained(model: keras.Model, run_dir: Path, result: TrainingEnd) -> None:
    """Keep the weights at the end of training and how it ended, atomically (``backup/trained``)."""
    folder = run_dir / BACKUP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{_PARTIAL_PREFIX}trained-{os.getpid()}"
    try:
        partial.mkdir()
        model.save_weights(str(partial / TRAINED_WEIGHTS))
        (partial / TRAINED_RESULT).write_text(json.dumps(asdict(result)), encoding="utf-8")
        shutil.rmtree(folder / TRAINED_DIR, ignore_errors=True)
        os.rename(partial, folder / TRAINED_DIR)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def load_trained(model: keras.Model, run_dir: Path) -> TrainingEnd | None:
    """Restore the weights of a run whose training already ended; its result, or None."""
    trained = run_dir / BACKUP_DIR / TRAINED_DIR
    if not (trained / TRAINED_RESULT).is_file():
        return None
    weights = trained / TRAINED_WEIGHTS
    try:
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(str(weights))
        return TrainingEnd(**json.loads((trained / TRAINED_RESULT).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as err:
        raise damaged(weights, run_dir, err) from err


def remove_backup(run_dir: Path) -> None:
    """Delete the backup once the run's last file is written."""
    shutil.rmtree(run_dir / BACKUP_DIR, ignore_errors=True)
