"""Raw dataset sources: each returns ``(x_train, y_train, x_test, y_test)``.

Images come back as arrays of shape (N, H, W) or (N, H, W, C), labels as
integers; scaling and splitting happen in :mod:`kexp.data.prepare`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from kexp.errors import DataError
from kexp.registry import Registry

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
SourceFn = Callable[[DictConfig, int], Arrays]

SOURCES: Registry[SourceFn] = Registry("data", "kexp.data")

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def check_npz(path: str | Path) -> None:
    """Raise DataError unless ``path`` is a readable .npz with the four arrays.

    Reads only the archive's directory, so it is cheap enough to run before
    training starts.
    """
    load_npz(path, arrays=False)


def load_npz(path: str | Path, arrays: bool = True) -> Arrays:
    """Load a ``.npz`` in the keras.datasets layout (x_train, y_train, x_test, y_test)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"data.path={path} — no such file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in NPZ_KEYS if k not in npz.files]
            if missing:
                raise DataError(
                    f"data.path={path} — missing arrays {', '.join(missing)}; "
                    f"a dataset .npz needs {', '.join(NPZ_KEYS)} "
                    f"(found: {', '.join(npz.files) or 'none'})")
            return tuple(np.asarray(npz[k]) for k in NPZ_KEYS) if arrays else ()  # type: ignore[return-value]
    except DataError:
        raise
    except Exception as err:  # zip, pickle or format errors from numpy
        raise DataError(f"data.path={path} — not a readable .npz file ({err})") from err


@SOURCES.register("digits")
def digits(cfg: DictConfig, seed: int) -> Arrays:
    """scikit-learn's bundled 8x8 digits, resized to ``image_size``, split stratified."""
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = bunch.images.astype("float32") / 16.0  # pixel values are 0..16
    size = cfg.image_size
    factor = size / images.shape[1]
    images = np.clip(zoom(images, (1, factor, factor), order=1), 0.0, 1.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(
        images, bunch.target.astype("int64"), test_size=cfg.test_fraction,
        stratify=bunch.target, random_state=seed)
    return x_train, y_train, x_test, y_test


def _keras_dataset(name: str) -> SourceFn:
    def load(cfg: DictConfig, seed: int) -> Arrays:
        import keras

        module = getattr(keras.datasets, name)
        try:
            (x_train, y_train), (x_test, y_test) = module.load_data()
        except Exception as err:
            raise DataError(
                f"data={name} — could not be downloaded ({type(err).__name__}); "
                f"use data.path=<file.npz> to load it from a local file") from err
        return x_train, y_train, x_test, y_test

    load.__doc__ = f"keras.datasets.{name}, downloaded once into ~/.keras/datasets."
    return load


for _name in ("mnist", "fashion_mnist", "cifar10", "cifar100"):
    SOURCES.register(_name)(_keras_dataset(_name))


def load_source(cfg: DictConfig, seed: int) -> Arrays:
    """Raw arrays for ``cfg``: from ``data.path`` if given, else the named source."""
    if cfg.path:
        return load_npz(cfg.path)
    return SOURCES.get(cfg.name)(cfg, seed)


@SOURCES.register("diabetes")
def diabetes(cfg: DictConfig, seed: int) -> Arrays:
    """scikit-learn's bundled diabetes table: 442 patients, 10 features, a numeric target.

    The features come standardised by scikit-learn; the target is disease
    progression after one year (25..346). For ``task=regression``.
    """
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    bunch = load_diabetes()
    x_train, x_test, y_train, y_test = train_test_split(
        bunch.data.astype("float32"), bunch.target.astype("float32"),
        test_size=cfg.test_fraction, random_state=seed)
    return x_train, y_train, x_test, y_test
