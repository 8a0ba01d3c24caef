"""Disk space: refuse a run that cannot fit, and end cleanly when the disk fills anyway.

Before training, :func:`check_room_for_run` compares the free space of the run
directory with what the run will write at its peak (the backup, written beside
the previous one and then switched, the trained weights, ``model.keras`` and
checkpoints, each with the optimizer's slots). Before each backup,
:func:`check_free_space` compares with the previous backup's size. A disk that
fills up anyway (another process, a quota) raises an ``OSError`` with
``ENOSPC``; :func:`disk_full_message` turns it into the one line the job prints.
"""

from __future__ import annotations

import errno
import re
import shutil
import sys
from pathlib import Path

from kexp.config.errors import KexpError

#: Room for the small files (CSV, PNG, logs, config) on top of the weights.
SMALL_FILES_BYTES = 8 * 2**20
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_H5_FILENAME = re.compile(r"filename = '([^']+)'")


class DiskFullError(KexpError):
    """Not enough free space for what the run has to write."""

    kind = "disk"


def human(size: float) -> str:
    """``1.5 GB``, ``320 MB``, ``12 kB``."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit in ("B", "kB") else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def free_bytes(path: Path) -> int:
    """Free space (for this user) on the file system that holds ``path`` or its nearest ancestor."""
    path = Path(path).absolute()
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def check_free_space(path: Path, needed: int, what: str) -> None:
    """DiskFullError unless ``needed`` bytes are free where ``path`` is."""
    free = free_bytes(path)
    if free < needed:
        raise DiskFullError(
            f"{what} needs about {human(needed)} in {path}, but only {human(free)} "
            "is free — free some space (a rerun resumes), or set hydra.run.dir to a "
            "disk with room"
        )


def run_peak_bytes(model, checkpoints: int = 0, early_stopping_copy: bool = False) -> int:
    """What a run writes at its peak: weights and optimizer slots, a few times over.

    Two backups (the new one is written beside the old), the trained weights,
    ``model.keras``, each checkpoint, plus a weights-only copy for
    early stopping's best epoch, and :data:`SMALL_FILES_BYTES`.
    """
    weights = sum(_bytes(v) for v in model.weights)
    state = model_file_bytes(model)
    return (4 + checkpoints) * state + (weights if early_stopping_copy else 0) + SMALL_FILES_BYTES


def model_file_bytes(model, with_optimizer: bool = True) -> int:
    """About the size of ``model.keras``: the weights, and the optimizer's slots ``with_optimizer``
    (``trainer.save_optimizer``; a backup always has them)."""
    weights = sum(_bytes(v) for v in model.weights)
    optimizer = getattr(model, "optimizer", None) if with_optimizer else None  # (None before compile)
    if not with_optimizer:
        return weights
    if optimizer is not None and optimizer.built:
        slots = sum(_bytes(v) for v in optimizer.variables)
    else:  # not built before training: as many as Adam's, two per trainable value (an upper bound
        # for most optimizers; building it here would need the strategy's scope)
        slots = 2 * sum(_bytes(v) for v in model.trainable_weights)
    return weights + slots


def check_room_for_run(run_dir: Path, model, checkpoints: int = 0, early_stopping_copy: bool = False) -> int:
    """DiskFullError when the run directory's disk cannot hold the run; returns the estimate."""
    needed = run_peak_bytes(model, checkpoints, early_stopping_copy)
    check_free_space(run_dir, needed, "this run (model, backups, checkpoints)")
    return needed


def is_disk_full(err: BaseException | None) -> bool:
    """Whether ``err`` (or what caused it) is a full disk or an exhausted quota."""
    while err is not None:
        if isinstance(err, OSError) and err.errno in _FULL_ERRNOS:
            return True
        if "No space left on device" in str(err) or "Disk quot" in str(err):
            return True
        err = err.__cause__ or err.__context__
    return False


def full_file(err: BaseException | None, default: Path) -> str:
    """The file a write that ran out of space was writing (from the error or its causes)."""
    while err is not None:
        match = _H5_FILENAME.search(str(err))
        if getattr(err, "filename", None):
            return str(getattr(err, "filename"))  # noqa: B009 — OSError and h5py's errors have one
        if match:
            return match.group(1)
        err = err.__cause__ or err.__context__
    return str(default)


def disk_full_message(where: str) -> str:
    """One line: which file could not be written, and how much space is left there."""
    return (
        f"kexp: disk error: no space left on the device writing {where} "
        f"({human(free_bytes(Path(where)))} free); the last backup is intact: free some space "
        "and run the same command to resume"
    )


_H5PY_DEALLOC = "Can't decrement id ref count"


_quieted = False


def quiet_h5py_dealloc_errors() -> None:
    """Silence the one complaint h5py prints when it frees a file whose write failed.

    When the disk fills while h5py writes, h5py reports the write as an
    ``OSError`` (which kexp turns into one line) and then, whenever the file
    object is freed, prints a second traceback (Cython's ``__dealloc__``
    reporting goes through ``sys.excepthook`` and ``sys.unraisablehook``).
    Only that message is dropped; everything else reaches the previous hooks.
    """
    global _quieted
    if _quieted:
        return
    _quieted = True
    unraisable_hook, except_hook = sys.unraisablehook, sys.excepthook

    def unraisable(report) -> None:
        if _H5PY_DEALLOC not in str(report.exc_value):
            unraisable_hook(report)

    def excepthook(kind, value, traceback) -> None:
        if _H5PY_DEALLOC not in str(value):
            except_hook(kind, value, traceback)

    sys.unraisablehook, sys.excepthook = unraisable, excepthook


def _bytes(variable) -> int:
    import numpy as np

    return int(np.prod(variable.shape)) * np.dtype(variable.dtype).itemsize
