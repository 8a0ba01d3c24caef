"""Turn raw arrays into train / validation / test splits ready for ``fit``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig

from kexp.data.sources import load_source
from kexp.errors import DataError


@dataclass(frozen=True)
class Dataset:
    """Float32 images in [0, 1] with a channel axis, integer labels 0..num_classes-1."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    val_is_test: bool = False

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one image, e.g. (28, 28, 1)."""
        return tuple(self.x_train.shape[1:])


def load_data(cfg: DictConfig, seed: int) -> Dataset:
    """Load ``cfg`` (the ``data`` group), subsample, split and scale it."""
    x_train, y_train, x_test, y_test = load_source(cfg, seed)
    y_train, y_test = _labels(y_train, "y_train"), _labels(y_test, "y_test")
    _check_pair(x_train, y_train, "x_train", "y_train")
    _check_pair(x_test, y_test, "x_test", "y_test")
    num_classes = int(y_train.max()) + 1
    if y_test.max() >= num_classes:
        raise DataError(f"y_test has label {y_test.max()} but y_train only 0..{num_classes - 1} "
                        "— labels must be integers 0..num_classes-1 in both splits")
    x_train, y_train = _subsample(x_train, y_train, cfg.get("train_size"), seed, "data.train_size")
    x_test, y_test = _subsample(x_test, y_test, cfg.get("test_size"), seed, "data.test_size")
    x_train, x_test = _as_images(x_train, "x_train"), _as_images(x_test, "x_test")
    val_split = float(cfg.get("val_split", 0.1))
    if val_split > 0:
        x_train, x_val, y_train, y_val = _split(x_train, y_train, val_split, seed)
    else:
        x_val, y_val = x_test, y_test
    return Dataset(cfg.name, x_train, y_train, x_val, y_val, x_test, y_test,
                   num_classes, val_is_test=val_split == 0)


def _labels(y: np.ndarray, key: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.size == 0:
        raise DataError(f"{key} has shape {y.shape} — labels must be one integer per sample")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise DataError(f"{key} — labels must be integers 0..num_classes-1")
    y = y.astype("int64")
    if y.min() < 0:
        raise DataError(f"{key} has label {y.min()} — labels must be integers 0..num_classes-1")
    return y


def _check_pair(x: np.ndarray, y: np.ndarray, x_key: str, y_key: str) -> None:
    if x.ndim not in (3, 4):
        raise DataError(f"{x_key} has shape {x.shape} — images must be (N, H, W) or (N, H, W, C)")
    if len(x) != len(y):
        raise DataError(f"{x_key} has {len(x)} samples but {y_key} has {len(y)} — they must match")


def _as_images(x: np.ndarray, key: str) -> np.ndarray:
    """Float32 in [0, 1] with a channel axis (grayscale gets one)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{key} has dtype {x.dtype} — images must be numeric")
    if not np.issubdtype(x.dtype, np.integer) and not np.isfinite(x).all():
        raise DataError(f"{key} has {int(np.size(x) - np.isfinite(x).sum())} NaN or infinite "
                        "pixel values — clean the data first")
    if x.ndim == 3:
        x = x[..., np.newaxis]
    scale = 255.0 if np.issubdtype(x.dtype, np.integer) or float(x.max()) > 1.0 else 1.0
    out = x.astype("float32")
    if scale != 1.0:
        out /= scale
    return out


def _stratify(y: np.ndarray) -> np.ndarray | None:
    """Labels to stratify by, or None when some class is too rare to split."""
    counts = np.bincount(y)
    return y if counts[counts > 0].min() >= 2 else None


def _subsample(x: np.ndarray, y: np.ndarray, size: int | None, seed: int,
               key: str) -> tuple[np.ndarray, np.ndarray]:
    if size is None or size >= len(y):
        return x, y
    classes = len(np.unique(y))
    if size < classes:
        raise DataError(f"{key}={size} — must be ≥ the number of classes ({classes})")
    from sklearn.model_selection import train_test_split

    x_keep, _, y_keep, _ = train_test_split(x, y, train_size=size, stratify=_stratify(y),
                                            random_state=seed)
    return x_keep, y_keep


def _split(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    from sklearn.model_selection import train_test_split

    n_val = max(1, int(round(len(y) * fraction)))
    stratify = _stratify(y) if n_val >= len(np.unique(y)) else None
    return train_test_split(x, y, test_size=n_val, stratify=stratify, random_state=seed)
