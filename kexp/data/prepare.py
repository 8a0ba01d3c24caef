"""Turn raw arrays into train / validation / test splits ready for ``fit``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig

from kexp.data.sources import load_source
from kexp.errors import DataError


@dataclass(frozen=True)
class Dataset:
    """Train / validation / test arrays ready for ``fit``.

    Images are float32 in [0, 1] with a channel axis; tabular data (N, features)
    float32 as given. Targets are integer class labels 0..num_classes-1, or
    numbers (``num_classes`` 0) for regression; the ``task`` group maps them
    to what its loss needs. ``w_train`` holds per-sample training weights
    (``data.sample_weight``) or None.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    val_is_test: bool = False
    w_train: np.ndarray | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, e.g. (28, 28, 1)."""
        return tuple(self.x_train.shape[1:])

    @property
    def has_class_labels(self) -> bool:
        """Whether the targets are class labels (rather than numbers to regress on)."""
        return self.num_classes > 0


def load_data(cfg: DictConfig, seed: int) -> Dataset:
    """Load ``cfg`` (the ``data`` group), subsample, split, scale and unbalance it."""
    x_train, y_train, x_test, y_test = load_source(cfg, seed)
    weights = _sample_weights(cfg, len(y_train))
    y_train, y_test = _targets(y_train, "y_train"), _targets(y_test, "y_test")
    _check_pair(x_train, y_train, "x_train", "y_train")
    _check_pair(x_test, y_test, "x_test", "y_test")
    classes = cfg.targets == "labels"
    if classes:
        y_train, y_test = _class_labels(y_train, "y_train"), _class_labels(y_test, "y_test")
        num_classes = int(y_train.max()) + 1
        if y_test.max() >= num_classes:
            raise DataError(f"y_test has label {y_test.max()} but y_train only 0..{num_classes - 1} "
                            "— labels must be integers 0..num_classes-1 in both splits")
    else:
        y_train, y_test, num_classes = y_train.astype("float32"), y_test.astype("float32"), 0
    keep = _subsample(y_train, cfg.train_size, seed, "data.train_size", classes)
    x_train, y_train = x_train[keep], y_train[keep]
    weights = weights[keep] if weights is not None else None
    keep = _subsample(y_test, cfg.test_size, seed, "data.test_size", classes)
    x_test, y_test = x_test[keep], y_test[keep]
    scale = pixel_scale(x_train)
    x_train, x_test = _as_inputs(x_train, "x_train", scale), _as_inputs(x_test, "x_test", scale)
    val_split = cfg.val_split
    if val_split > 0:
        train, val = _split(y_train, val_split, seed, classes)
        x_val, y_val = x_train[val], y_train[val]
        x_train, y_train = x_train[train], y_train[train]
        weights = weights[train] if weights is not None else None
    else:
        x_val, y_val = x_test, y_test
    if cfg.imbalance:
        keep = _imbalanced(y_train, cfg.imbalance, seed, classes)
        x_train, y_train = x_train[keep], y_train[keep]
        weights = weights[keep] if weights is not None else None
    return Dataset(cfg.name, x_train, y_train, x_val, y_val, x_test, y_test,
                   num_classes, val_is_test=val_split == 0, w_train=weights)


def _targets(y: np.ndarray, key: str) -> np.ndarray:
    """One finite number per sample (a (N, 1) column is flattened)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.size == 0:
        raise DataError(f"{key} has shape {y.shape} — targets must be one number per sample")
    if not np.issubdtype(y.dtype, np.number) or (
            not np.issubdtype(y.dtype, np.integer) and not np.all(np.isfinite(y))):
        raise DataError(f"{key} — targets must be finite numbers")
    return y


def _class_labels(y: np.ndarray, key: str) -> np.ndarray:
    """Integers 0..n-1 as int64 (whole floats accepted)."""
    if not np.issubdtype(y.dtype, np.integer) and not np.all(y == np.round(y)):
        raise DataError(f"{key} — labels must be integers 0..num_classes-1 "
                        "(numeric targets: data.targets=numbers with task=regression)")
    y = y.astype("int64")
    if y.min() < 0:
        raise DataError(f"{key} has label {y.min()} — labels must be integers 0..num_classes-1")
    return y


def _sample_weights(cfg: DictConfig, count: int) -> np.ndarray | None:
    """``data.sample_weight``: the name of an array in ``data.path`` with one weight per training sample."""
    name = cfg.sample_weight
    if not name:
        return None
    if not cfg.path:
        raise DataError(f"data.sample_weight={name} — needs data.path=<file.npz> holding that array")
    with np.load(cfg.path, allow_pickle=False) as npz:
        if name not in npz.files:
            raise DataError(f"data.sample_weight={name} — no such array in {cfg.path} "
                            f"(found: {', '.join(npz.files)})")
        weights = np.asarray(npz[name], dtype="float64").reshape(-1)
    if len(weights) != count or not np.all(np.isfinite(weights)) or weights.min() < 0:
        raise DataError(f"data.sample_weight={name} — must hold {count} finite weights ≥ 0 "
                        f"(one per x_train sample); got {len(weights)}")
    return weights.astype("float32")


def _check_pair(x: np.ndarray, y: np.ndarray, x_key: str, y_key: str) -> None:
    if x.ndim not in (2, 3, 4):
        raise DataError(f"{x_key} has shape {x.shape} — inputs must be images (N, H, W) or "
                        "(N, H, W, C), or a table (N, features)")
    if len(x) != len(y):
        raise DataError(f"{x_key} has {len(x)} samples but {y_key} has {len(y)} — they must match")


def pixel_scale(x_train: np.ndarray) -> float:
    """What image pixels are divided by, decided once from the training split: 255 for
    integer images or floats above 1 (0..255 stored as floats), else 1 (already in [0, 1]).

    Every split gets the same scale, so a test split whose brightest pixel
    happens to be ≤ 1 is not left 255 times brighter than training.
    """
    x_train = np.asarray(x_train)
    if x_train.ndim == 2 or not np.issubdtype(x_train.dtype, np.number):
        return 1.0
    if np.issubdtype(x_train.dtype, np.integer):
        return 255.0
    finite = x_train[np.isfinite(x_train)]
    return 255.0 if finite.size and float(finite.max()) > 1.0 else 1.0


def _as_inputs(x: np.ndarray, key: str, scale: float) -> np.ndarray:
    """Images: float32 divided by ``scale``, with a channel axis. Tabular (N, features): float32 as given."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{key} has dtype {x.dtype} — images must be numeric")
    if not np.issubdtype(x.dtype, np.integer) and not np.isfinite(x).all():
        raise DataError(f"{key} has {int(np.size(x) - np.isfinite(x).sum())} NaN or infinite "
                        "values — clean the data first")
    if x.ndim == 2:
        return x.astype("float32")
    if x.ndim == 3:
        x = x[..., np.newaxis]
    out = x.astype("float32")
    if scale != 1.0:
        out /= scale
    return out


def _stratify(y: np.ndarray, classes: bool) -> np.ndarray | None:
    """Labels to stratify by, or None for numeric targets or a class too rare to split."""
    if not classes:
        return None
    counts = np.bincount(y)
    return y if counts[counts > 0].min() >= 2 else None


def _subsample(y: np.ndarray, size: int | None, seed: int, key: str, classes: bool) -> np.ndarray:
    """Indices of a stratified, seeded subsample of ``size`` (all of them when None)."""
    if size is None or size >= len(y):
        return np.arange(len(y))
    count = len(np.unique(y)) if classes else 1
    if size < count:
        raise DataError(f"{key}={size} — must be ≥ the number of classes ({count})")
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=size, stratify=_stratify(y, classes),
                               random_state=seed)
    return keep


def _split(y: np.ndarray, fraction: float, seed: int, classes: bool) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation), stratified where every class can be split."""
    from sklearn.model_selection import train_test_split

    n_val = max(1, int(round(len(y) * fraction)))
    stratify = _stratify(y, classes) if classes and n_val >= len(np.unique(y)) else None
    return train_test_split(np.arange(len(y)), test_size=n_val, stratify=stratify, random_state=seed)


def _imbalanced(y: np.ndarray, drop: DictConfig, seed: int, classes: bool) -> np.ndarray:
    """Indices of the training split after dropping ``drop[c]`` of class c's samples (seeded)."""
    if not classes:
        raise DataError("data.imbalance — needs class labels; this data's targets are numbers")
    rng = np.random.default_rng(seed)
    keep = np.ones(len(y), dtype=bool)
    for label, fraction in drop.items():
        members = np.flatnonzero(y == int(label))
        dropped = rng.choice(members, size=int(round(len(members) * float(fraction))), replace=False)
        keep[dropped] = False
    return np.flatnonzero(keep)
