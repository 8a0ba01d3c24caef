"""Raw dataset sources: each returns ``(x_train, y_train, x_test, y_test)`` or a :class:`Source`.

Images come back as arrays of shape (N, H, W) or (N, H, W, C) or as
:class:`~kexp.data.images.ImageFiles` (decoded while training), labels as
integers; scaling and splitting happen in :mod:`kexp.data.prepare`.

Each source is registered as a :class:`DataSource`: its load function and
what it declares — ``reads_path`` when it reads ``data.path`` itself
(otherwise ``data.path`` names a ``.npz`` that replaces the source),
``needs_path`` when it cannot do without one, and ``check(settings)``, a cheap
preflight check run before the backend starts (a file listing, a CSV header).
A new dataset is one function and :func:`register_source`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kexp.config.errors import DataError
from kexp.config.registry import Registry

if TYPE_CHECKING:
    from kexp.config.schema.data import DataConfig

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Source:
    """What a source read: train and test (and optionally validation) inputs and targets.

    ``class_names`` name the labels 0..n-1 where the source knows them;
    ``targets`` (labels | numbers) overrides ``data.target_type`` where the
    source decided it from the data (a CSV's string column); ``origin`` is
    the file or folder the data came from, for error messages.
    """

    x_train: Any
    y_train: np.ndarray
    x_test: Any
    y_test: np.ndarray
    x_val: Any = None
    y_val: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None
    targets: str | None = None
    #: per-sample loss weights of the training rows the source read itself (a CSV column, a
    #: custom loader's ``sample_weight``); None: ``data.sample_weight`` names an array of data.path
    weights_train: Any = None
    origin: str = ""
    #: preprocessing fitted on the training split that new inputs need too (``data=csv``)
    encoder: Any = None


#: ``(data config, seed, **options)`` → what the source read (``encoder=``: see :func:`load_source`)
SourceFn = Callable[..., "Arrays | Source"]


@dataclass(frozen=True)
class DataSource:
    """One option of the ``data`` group: how it loads, and what it declares before it loads."""

    load: SourceFn
    #: a cheap check of ``settings`` before any backend starts (raises DataError)
    check: Callable[[DataConfig], None] | None = None
    #: the source reads ``data.path`` itself (else ``data.path`` is a .npz that replaces it)
    reads_path: bool = False
    #: ``data.path`` must be set (for sources that read it)
    needs_path: bool = True
    #: the keys of :data:`~kexp.config.schema.data.SOURCE_OPTIONS` it reads (a value set for
    #: another is refused before anything runs: it would change nothing)
    options: tuple[str, ...] = ()

    def __call__(self, settings: DataConfig, seed: int, **options: Any) -> Arrays | Source:
        """Load: ``(x_train, y_train, x_test, y_test)`` or a :class:`Source`."""
        return self.load(settings, seed, **options)


SOURCES: Registry[DataSource] = Registry("data", "kexp.data")


#: The options of sources that read image files (``data=folder``; ``data=custom``'s file lists).
IMAGE_FILE_OPTIONS = ("image_size", "color_mode", "crop_to_aspect_ratio", "cache", "cache_dir", "on_bad_image")


def register_source(
    name: str,
    *,
    check: Callable[[DataConfig], None] | None = None,
    reads_path: bool = False,
    needs_path: bool = True,
    options: tuple[str, ...] = (),
) -> Callable[[SourceFn], SourceFn]:
    """Decorator: register ``fn`` as the ``data=<name>`` source, with what it declares."""

    def decorator(fn: SourceFn) -> SourceFn:
        SOURCES.register(name)(DataSource(fn, check, reads_path, needs_path, options))
        return fn

    return decorator


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
                    f"(found: {', '.join(npz.files) or 'none'})"
                )
            return tuple(np.asarray(npz[k]) for k in NPZ_KEYS) if arrays else ()  # type: ignore[return-value]
    except DataError:
        raise
    except Exception as err:  # zip, pickle or format errors from numpy
        raise DataError(f"data.path={path} — not a readable .npz file ({err})") from err


@register_source("digits", options=("image_size", "test_split"))
def digits(settings: DataConfig, seed: int) -> Arrays:
    """scikit-learn's bundled 8x8 digits, resized to ``image_size`` (a side, or [height, width]),
    split stratified."""
    from sklearn.model_selection import train_test_split

    from kexp.data.images import image_size

    images, labels = digit_images(image_size(settings.image_size))
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=settings.test_split, stratify=labels, random_state=seed
    )
    return x_train, y_train, x_test, y_test


@functools.lru_cache(maxsize=2)
def digit_images(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Every digit resized to ``size`` = (height, width) (values 0..1) and its label, read-only: made
    once a process (a sweep's jobs share it; each job's split copies what it takes)."""
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype("float32") / 16.0  # pixel values are 0..16
    factors = (1, size[0] / images.shape[1], size[1] / images.shape[2])
    images = np.clip(zoom(images, factors, order=1), 0.0, 1.0).astype("float32")
    labels = bunch.target.astype("int64")
    for array in (images, labels):
        array.setflags(write=False)
    return images, labels


def _keras_dataset(name: str) -> SourceFn:
    def load(settings: DataConfig, seed: int) -> Arrays:
        from kexp.backends.quiet import import_keras_quietly

        module = getattr(import_keras_quietly().datasets, name)
        try:
            (x_train, y_train), (x_test, y_test) = module.load_data()
        except Exception as err:  # keras's get_file raises a bare Exception: its text says why
            reason = " ".join(str(err).split())[:160] or type(err).__name__
            raise DataError(
                f"data={name} — not in ~/.keras/datasets and could not be downloaded ({reason}); "
                f"use data.path=<file.npz> to load it from a local file"
            ) from err
        return x_train, y_train, x_test, y_test

    load.__doc__ = f"keras.datasets.{name}, downloaded once into ~/.keras/datasets."
    return load


for _name in ("mnist", "fashion_mnist", "cifar10", "cifar100"):
    register_source(_name)(_keras_dataset(_name))


def load_source(settings: DataConfig, seed: int, encoder: Any = None) -> Source:
    """What ``settings`` names: the named source, or the ``.npz`` of ``data.path`` in its place.

    ``encoder``: a saved run's fitted preprocessing, for the sources that fit one (``csv``).
    """
    source = SOURCES.get(settings.name)
    if settings.path and not source.reads_path:
        return Source(*load_npz(settings.path), origin=f"data.path={settings.path}")
    loaded = source(settings, seed, encoder=encoder) if encoder is not None else source(settings, seed)
    return loaded if isinstance(loaded, Source) else Source(*loaded)


def check_source(settings: DataConfig) -> None:
    """Preflight for ``settings`` (the data group): the source's own check, or the ``.npz`` of ``data.path``."""
    source = SOURCES.get(settings.name)
    check_options(settings, source)
    if source.reads_path:
        if settings.path in (None, "", "???") and source.needs_path:
            shown = "null" if settings.path is None else settings.path
            raise DataError(
                f"data.path={shown} — data={settings.name} needs data.path=PATH, where its data is "
                "(see docs/your-data.md)"
            )
    elif settings.path:
        check_npz(settings.path)
    if source.check is not None:
        source.check(settings)


def check_options(settings: DataConfig, source: DataSource) -> None:
    """A :class:`ConfigError` for a value of a source option that ``source`` does not read
    (``data.color_mode=rgb`` on the bundled digits, ``data.test_split`` on MNIST's own split)."""
    from kexp.config.errors import ConfigError
    from kexp.config.schema.data import SOURCE_OPTIONS

    for key in SOURCE_OPTIONS:
        value = getattr(settings, key)
        if value is None or key in source.options:
            continue
        readers = [name for name in SOURCES.names() if key in SOURCES.get(name).options]
        raise ConfigError.bad_value(
            f"data.{key}",
            value,
            f"data={settings.name} does not read it (it would change nothing); "
            f"{', '.join(f'data={name}' for name in readers)} {'does' if len(readers) == 1 else 'do'}",
        )


def stratify_by(labels: np.ndarray, classes: bool, *part_sizes: int) -> np.ndarray | None:
    """``labels`` to stratify a split by, or None: numeric targets, a class too rare to split
    (one sample), or a part too small to hold every class (scikit-learn needs each to)."""
    if not classes:
        return None
    counts = np.unique(labels, return_counts=True)[1]
    if counts.min() < 2 or min(part_sizes, default=len(labels)) < len(counts):
        return None
    return labels


def stratified_split(
    labels: np.ndarray, fraction: float, seed: int, classes: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held out) with ``fraction`` held out, stratified where every class can be split."""
    from sklearn.model_selection import train_test_split

    held = max(1, round(len(labels) * fraction))
    return train_test_split(
        np.arange(len(labels)), test_size=held, stratify=stratify_by(labels, classes, held), random_state=seed
    )


@register_source("diabetes", options=("test_split",))
def diabetes(settings: DataConfig, seed: int) -> Arrays:
    """scikit-learn's bundled diabetes table: 442 patients, 10 features, a numeric target.

    The features come standardised by scikit-learn; the target is disease
    progression after one year (25..346). For ``task=regression``.
    """
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    bunch = load_diabetes()
    x_train, x_test, y_train, y_test = train_test_split(
        bunch.data.astype("float32"), bunch.target.astype("float32"), test_size=settings.test_split, random_state=seed
    )
    return x_train, y_train, x_test, y_test
