"""Turn raw arrays into train / validation / test splits ready for ``fit``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from kexp.config.errors import DataError
from kexp.data.checks import (
    Inputs,
    as_inputs,
    check_pair,
    class_labels,
    count_classes,
    pixel_scale,
    sample_weights,
    targets,
)
from kexp.data.images import ImageFiles, LazyRows
from kexp.data.sources import Source, load_source, stratified_split, stratify_by

if TYPE_CHECKING:
    from kexp.config.schema.data import DataConfig


@dataclass(frozen=True)
class Split:
    """One split: inputs, targets and (training only) per-sample loss weights.

    ``x`` is an array (images float32 in [0, 1] with a channel axis, or a
    table (N, features) float32) or :class:`~kexp.data.images.ImageFiles`
    decoded batch by batch while training. ``y`` is always in memory: class
    labels 0..n-1 (int64) or numbers (float32).
    """

    x: Inputs
    y: np.ndarray
    weights: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y)

    def take(self, index: np.ndarray) -> Split:
        """The samples at ``index`` (files stay undecoded)."""
        return Split(self.x[index], self.y[index], self.weights[index] if self.weights is not None else None)

    @property
    def streamed(self) -> bool:
        """Whether the inputs are read batch by batch (files, a memory map), not an array in memory."""
        return isinstance(self.x, (ImageFiles, LazyRows))


@dataclass(frozen=True)
class Dataset:
    """Train / validation / test splits ready for ``fit``, and what is known about them.

    Targets are integer class labels 0..num_classes-1 (named by
    ``class_names`` where the source knows names), or numbers (``num_classes``
    0) for regression; the ``task`` group maps them to what its loss needs.
    ``origin`` is the file or folder the data came from.
    """

    name: str
    train: Split
    val: Split
    test: Split
    num_classes: int
    class_names: tuple[str, ...] | None = None
    val_is_test: bool = False
    origin: str = ""
    #: the preprocessing fitted on the training split (``data=csv``), saved with the run
    encoder: Any = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, e.g. (28, 28, 1)."""
        return tuple(self.train.x.shape[1:])

    @property
    def has_class_labels(self) -> bool:
        """Whether the targets are class labels (rather than numbers to regress on)."""
        return self.num_classes > 0

    @property
    def y_train(self) -> np.ndarray:
        """Training targets."""
        return self.train.y

    @property
    def y_val(self) -> np.ndarray:
        """Validation targets."""
        return self.val.y

    @property
    def y_test(self) -> np.ndarray:
        """Test targets."""
        return self.test.y

    def class_name(self, label: int) -> str:
        """The name of class ``label`` (its number where the source has no names)."""
        return self.class_names[label] if self.class_names else str(label)

    def map_targets(self, function, num_classes: int) -> Dataset:
        """The dataset with ``function`` applied to every split's targets."""

        def mapped(split: Split) -> Split:
            return replace(split, y=function(split.y))

        test = mapped(self.test)
        return replace(
            self,
            train=mapped(self.train),
            test=test,
            num_classes=num_classes,
            val=test if self.val_is_test else mapped(self.val),
        )


def load_data(settings: DataConfig, seed: int, encoder: Any = None, exact_sizes: bool = True) -> Dataset:
    """Load ``settings`` (the ``data`` group), subsample, split, scale and unbalance it.

    ``encoder``: the preprocessing a saved run fitted (``data=csv``), used instead of fitting one.
    ``exact_sizes=False``: a ``train_size``/``test_size`` above what the split has means all of it, as
    for runs trained before such sizes were refused (scoring such a run rebuilds its test split as it was).
    """
    source = load_source(settings, seed, encoder)
    where = f"{source.origin} — " if source.origin else ""
    try:
        return _prepare(settings, source, seed, exact_sizes)
    except DataError as err:
        if where and not str(err).startswith("data."):
            raise DataError(where + str(err)) from err
        raise


def _prepare(settings: DataConfig, source: Source, seed: int, exact_sizes: bool = True) -> Dataset:
    x_train, x_test = _lazy(source.x_train), _lazy(source.x_test)
    weights = (
        given_weights(source) if source.weights_train is not None else sample_weights(settings, len(source.y_train))
    )
    y_train, y_test = targets(source.y_train, "y_train"), targets(source.y_test, "y_test")
    check_pair(x_train, y_train, "x_train", "y_train")
    check_pair(x_test, y_test, "x_test", "y_test")
    given_val = source.x_val is not None and source.y_val is not None
    y_val = targets(source.y_val, "y_val") if source.y_val is not None and given_val else None
    classes = (source.targets or settings.target_type) == "labels"
    if classes:
        y_train, y_test = class_labels(y_train, "y_train"), class_labels(y_test, "y_test")
        y_val = class_labels(y_val, "y_val") if y_val is not None else None
        num_classes = count_classes(y_train, y_test, y_val, source.class_names)
    else:
        y_train, y_test, num_classes = y_train.astype("float32"), y_test.astype("float32"), 0
        y_val = y_val.astype("float32") if y_val is not None else None
    train = Split(x_train, y_train, weights).take(
        _subsample(y_train, settings.train_size, seed, "data.train_size", classes, exact_sizes)
    )
    test = Split(x_test, y_test).take(
        _subsample(y_test, settings.test_size, seed, "data.test_size", classes, exact_sizes)
    )
    scale = pixel_scale(train.x)
    train = replace(train, x=as_inputs(train.x, "x_train", scale))
    test = replace(test, x=as_inputs(test.x, "x_test", scale))
    if y_val is not None:
        val = Split(as_inputs(_lazy(source.x_val), "x_val", scale), y_val)
    elif settings.val_split > 0:
        kept, held_out = stratified_split(train.y, settings.val_split, seed, classes)
        train, val = train.take(kept), train.take(held_out)
    else:
        val = test
    if settings.imbalance:
        train = train.take(_imbalanced(train.y, settings.imbalance, seed, classes))
    return Dataset(
        settings.name,
        train,
        val,
        test,
        num_classes,
        source.class_names,
        val_is_test=val is test,
        origin=source.origin,
        encoder=source.encoder,
    )


def _lazy(x):
    """A memory-mapped array as :class:`LazyRows` (read batch by batch, never whole); others as they are.

    Integer images are scaled by 255 as they are read, decided by the type
    alone (no pass over the file).
    """
    if not isinstance(x, np.memmap):
        return x
    scale = 255.0 if np.issubdtype(x.dtype, np.integer) and x.ndim > 2 else 1.0
    return LazyRows(x, np.arange(len(x)), scale)


def _subsample(y: np.ndarray, size: int | None, seed: int, key: str, classes: bool, exact: bool = True) -> np.ndarray:
    """Indices of a stratified, seeded subsample of ``size`` (all of them when None, or exactly all).

    More than there are is one line (unless not ``exact``): the run would train on fewer than it says
    (a sweep over ``data.train_size`` would label two runs of the same data differently).
    """
    if exact and size is not None and size > len(y):
        split = "training" if key == "data.train_size" else "test"
        raise DataError(
            f"{key}={size} — more than the {len(y)} {split} samples there are; use at most {len(y)}, or null for all"
        )
    if size is None or size >= len(y):
        return np.arange(len(y))
    count = len(np.unique(y)) if classes else 1
    if size < count:
        raise DataError(f"{key}={size} — must be ≥ the number of classes ({count})")
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(
        np.arange(len(y)), train_size=size, stratify=stratify_by(y, classes, len(y) - size), random_state=seed
    )
    return keep


def _imbalanced(y: np.ndarray, drop: dict, seed: int, classes: bool) -> np.ndarray:
    """Indices of the training split after dropping ``drop[c]`` of class c's samples (seeded)."""
    if not classes:
        raise DataError("data.imbalance — needs class labels; this data's targets are numbers")
    rng = np.random.default_rng(seed)
    keep = np.ones(len(y), dtype=bool)
    for label, fraction in drop.items():
        members = np.flatnonzero(y == int(label))
        dropped = rng.choice(members, size=round(len(members) * float(fraction)), replace=False)
        keep[dropped] = False
    return np.flatnonzero(keep)


def given_weights(source: Source) -> np.ndarray:
    """The training weights a source read itself, checked: one finite weight ≥ 0 per sample."""
    weights = np.asarray(source.weights_train, dtype="float64").reshape(-1)
    if len(weights) != len(source.y_train) or not np.all(np.isfinite(weights)) or weights.min() < 0:
        raise DataError(
            f"{source.origin or 'data'} — sample weights must be {len(source.y_train)} finite numbers ≥ 0 "
            f"(one per training sample); got {len(weights)}"
        )
    return weights.astype("float32")


def all_samples(data: Dataset) -> Dataset:
    """``data`` with every sample (training, validation and test) as its test split: for scoring
    new data whole (``python -m kexp.evaluate RUN --all``). Image files stay files; arrays and
    memory maps are read into one array."""
    parts = [data.train, *([] if data.val_is_test else [data.val]), data.test]
    parts = [part for part in parts if len(part)]
    if all(isinstance(part.x, ImageFiles) for part in parts):
        first = parts[0].x
        assert isinstance(first, ImageFiles)
        x: Inputs = replace(first, paths=np.concatenate([part.x.paths for part in parts]))  # type: ignore[union-attr]
    else:
        x = np.concatenate([read_rows(part.x, np.arange(len(part))) for part in parts])
    return replace(data, test=Split(x, np.concatenate([part.y for part in parts])))


def read_rows(x, index: np.ndarray) -> np.ndarray:
    """The inputs at ``index`` as a float32 array: decoded from files, read from a memory map, or taken."""
    if isinstance(x, (ImageFiles, LazyRows)):
        return x.load(index)
    return np.asarray(x[index], dtype="float32")
