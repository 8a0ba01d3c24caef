"""Image files that cannot be decoded: skipped (``data.on_bad_image=skip``) or named in one line.

Every image of every split is decoded once before the first epoch (the default
``error``: the first bad file is one line; ``skip``: bad files are left out), so
that a bad file in the test split never ends a run after its training. Files
that decoded before are not decoded again: :mod:`kexp.data.checked_images`
remembers each good file by its path, size and modification time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from typing import cast

import numpy as np

from kexp.data.checked_images import CheckedImages
from kexp.data.images import BadImageError, ImageFiles
from kexp.data.prepare import Dataset, Split

log = logging.getLogger("kexp")


def undecodable(files: ImageFiles, checked: CheckedImages | None = None) -> list[int]:
    """Indices of ``files`` the running backend's decoder rejects (decoded in parallel; files that
    decoded before, unchanged since, are not decoded again)."""
    checked = checked or CheckedImages.load()
    todo = np.array([i for i, path in enumerate(files.paths) if not checked.known_good(str(path))], dtype=int)
    if not len(todo):
        return []
    bad = [int(todo[i]) for i in _decode_failures(files[todo])]
    checked.remember([str(files.paths[i]) for i in np.setdiff1d(todo, bad)])
    return bad


def _decode_failures(files: ImageFiles) -> list[int]:
    """Indices of ``files`` the running backend's decoder rejects (decoded in parallel where that pays)."""
    import keras

    if keras.backend.backend() == "tensorflow":
        from kexp.backends.tensorflow import undecodable_files

        return undecodable_files(files.paths, files.channels)

    def bad(i: int) -> bool:
        try:
            files.load([i])
        except BadImageError:
            return True
        return False

    if not files.decodes_in_parallel():  # (small images: one thread is several times faster)
        return [i for i in range(len(files)) if bad(i)]
    with ThreadPoolExecutor(8) as pool:
        return [i for i, is_bad in enumerate(pool.map(bad, range(len(files)))) if is_bad]


def _splits(data: Dataset) -> dict[str, Split]:
    splits = {"train": data.train, "test": data.test}
    if not data.val_is_test:
        splits["val"] = data.val
    return {name: split for name, split in splits.items() if isinstance(split.x, ImageFiles)}


def skip_bad_images(data: Dataset) -> Dataset:
    """``data`` without the image files that cannot be decoded; logs how many and which."""
    kept, checked = {}, CheckedImages.load()  # (the record read once for every split)
    for name, split in _splits(data).items():
        files = cast(ImageFiles, split.x)  # (_splits keeps the splits of image files only)
        bad = undecodable(files, checked)
        if bad:
            log.warning(
                "data.on_bad_image=skip: %d of %d %s images cannot be decoded and are left out: %s%s",
                len(bad),
                len(split),
                name,
                ", ".join(files.paths[bad[:3]]),
                " ..." if len(bad) > 3 else "",
            )
            kept[name] = split.take(np.setdiff1d(np.arange(len(split)), bad))
    if not kept:
        return data
    test = kept.get("test", data.test)
    return replace(
        data,
        train=kept.get("train", data.train),
        test=test,
        val=test if data.val_is_test else kept.get("val", data.val),
    )


def check_every_image(data: Dataset) -> None:
    """Raise the one-line error naming the first image of any split that cannot be decoded."""
    found = first_bad_image(data)
    if found is not None:
        raise found


def first_bad_image(data: Dataset) -> BadImageError | None:
    """The first image of ``data`` (train, test, validation) that cannot be decoded, as the error naming it."""
    checked = CheckedImages.load()  # (the record read once for every split)
    for split in _splits(data).values():
        files = cast(ImageFiles, split.x)
        bad = undecodable(files, checked)
        if bad:
            path = files.paths[bad[0]]
            try:
                files.load([bad[0]])
            except BadImageError as err:
                return err
            return BadImageError(path, "the backend's decoder rejects it")
    return None


@contextmanager
def bad_images_named(data: Dataset) -> Iterator[None]:
    """Turn a failure while reading image files into one line naming the file that caused it."""
    from kexp.config.errors import KexpError
    from kexp.training.signals import TrainingInterrupted

    try:
        yield
    except (KexpError, TrainingInterrupted, MemoryError):
        raise
    except Exception as err:
        if not _splits(data):
            raise
        found = first_bad_image(data)
        if found is None:
            raise
        raise found from err
