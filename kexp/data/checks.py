"""What raw arrays must be before they become splits: targets, class labels, weights, pixel scale.

Each check raises a one-line :class:`~kexp.config.errors.DataError` naming the
array (``x_train``, ``y_test``, …); :mod:`kexp.data.prepare` applies them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kexp.config.errors import DataError
from kexp.data.images import ImageFiles, LazyRows

if TYPE_CHECKING:
    from kexp.config.schema.data import DataConfig

#: What a split's inputs can be: an array in memory, image files, or a memory map read batch by batch.
Inputs = np.ndarray | ImageFiles | LazyRows


def count_classes(
    y_train: np.ndarray, y_test: np.ndarray, y_val: np.ndarray | None, names: tuple[str, ...] | None
) -> int:
    """The number of classes; a DataError for labels outside it or classes without training samples."""
    num_classes = len(names) if names else int(y_train.max()) + 1
    for y, key in ((y_test, "y_test"), (y_val, "y_val")):
        if y is not None and y.max() >= num_classes:
            raise DataError(
                f"{key} has label {y.max()} but y_train only 0..{num_classes - 1} "
                "— labels must be integers 0..num_classes-1 in both splits"
            )
    counts = np.bincount(y_train, minlength=num_classes)
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        shown = ", ".join(map(str, empty[:5])) + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
        raise DataError(
            f"y_train has labels 0..{num_classes - 1} but no sample of class {shown} "
            f"— labels must be the integers 0..n-1 with every class present "
            f"(a stray label such as {num_classes - 1} makes a {num_classes}-way classifier)"
        )
    return num_classes


def targets(y: np.ndarray, key: str) -> np.ndarray:
    """One finite number per sample (a (N, 1) column is flattened)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.size == 0:
        raise DataError(f"{key} has shape {y.shape} — targets must be one number per sample")
    if not np.issubdtype(y.dtype, np.number) or (not np.issubdtype(y.dtype, np.integer) and not np.all(np.isfinite(y))):
        raise DataError(f"{key} — targets must be finite numbers")
    return y


def class_labels(y: np.ndarray, key: str) -> np.ndarray:
    """Integers 0..n-1 as int64 (whole floats accepted)."""
    if not np.issubdtype(y.dtype, np.integer) and not np.all(y == np.round(y)):
        raise DataError(
            f"{key} — labels must be integers 0..num_classes-1 "
            "(numeric targets: data.target_type=numbers with task=regression)"
        )
    y = y.astype("int64")
    if y.min() < 0:
        raise DataError(f"{key} has label {y.min()} — labels must be integers 0..num_classes-1")
    return y


def sample_weights(settings: DataConfig, count: int) -> np.ndarray | None:
    """``data.sample_weight``: the name of an array in ``data.path`` with one weight per training sample."""
    name = settings.sample_weight
    if not name:
        return None
    if not settings.path:
        raise DataError(f"data.sample_weight={name} — needs data.path=<file.npz> holding that array")
    with np.load(settings.path, allow_pickle=False) as npz:
        if name not in npz.files:
            raise DataError(
                f"data.sample_weight={name} — no such array in {settings.path} (found: {', '.join(npz.files)})"
            )
        weights = np.asarray(npz[name], dtype="float64").reshape(-1)
    if len(weights) != count or not np.all(np.isfinite(weights)) or weights.min() < 0:
        raise DataError(
            f"data.sample_weight={name} — must hold {count} finite weights ≥ 0 "
            f"(one per x_train sample); got {len(weights)}"
        )
    return weights.astype("float32")


def check_pair(x, y: np.ndarray, x_key: str, y_key: str) -> None:
    """Inputs of 2-4 dimensions, as many as there are targets."""
    if x.ndim not in (2, 3, 4):
        raise DataError(
            f"{x_key} has shape {x.shape} — inputs must be images (N, H, W) or (N, H, W, C), or a table (N, features)"
        )
    if len(x) != len(y):
        raise DataError(f"{x_key} has {len(x)} samples but {y_key} has {len(y)} — they must match")


def pixel_scale(x_train: Inputs) -> float:
    """What image pixels are divided by, decided once from the training split: 255 for
    integer images or floats above 1 (0..255 stored as floats), else 1 (already in [0, 1]).

    Every split gets the same scale, so a test split whose brightest pixel
    happens to be ≤ 1 is not left 255 times brighter than training.
    """
    if isinstance(x_train, (ImageFiles, LazyRows)):
        return 1.0  # decoded to [0, 1], or scaled as rows are read
    x_train = np.asarray(x_train)
    if x_train.ndim == 2 or not np.issubdtype(x_train.dtype, np.number):
        return 1.0
    if np.issubdtype(x_train.dtype, np.integer):
        return 255.0
    finite = x_train[np.isfinite(x_train)]
    return 255.0 if finite.size and float(finite.max()) > 1.0 else 1.0


def as_inputs(x: Inputs, key: str, scale: float) -> Inputs:
    """Images: float32 divided by ``scale``, with a channel axis. Tabular (N, features): float32 as given.

    Image files stay files (decoded to [0, 1] while training).
    """
    if isinstance(x, (ImageFiles, LazyRows)):
        return x
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{key} has dtype {x.dtype} — images must be numeric")
    if not np.issubdtype(x.dtype, np.integer) and not np.isfinite(x).all():
        raise DataError(
            f"{key} has {int(np.size(x) - np.isfinite(x).sum())} NaN or infinite values — clean the data first"
        )
    if x.ndim == 2:
        return x.astype("float32")
    if x.ndim == 3:
        x = x[..., np.newaxis]
    out = x.astype("float32")
    if scale != 1.0:
        out /= scale
    return out
