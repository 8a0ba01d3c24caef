"""``data.cache``: decode image files once instead of every epoch.

- ``none``: decode while training, every epoch (memory stays flat, whatever the data's size).
- ``memory``: decode every split once into a float32 array (the in-memory path from then on).
- ``disk``: decode once into ``<split>-<fingerprint>.npy`` (uint8) under
  ``data.cache_dir`` (default: ``cache/`` in the run directory), memory-mapped
  and read batch by batch. The fingerprint covers the file list, each
  file's size and modification time and the decoding settings, so a cache
  is reused by reruns and by other runs given the same ``data.cache_dir``,
  and never read for other files or settings.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import cast

import numpy as np

from kexp.data.images import ImageFiles, LazyRows
from kexp.data.pipeline import decode_all, enumerate_batches
from kexp.data.prepare import Dataset, Split

log = logging.getLogger("kexp")


def cache_splits(data: Dataset, mode: str, directory: Path) -> Dataset:
    """``data`` with its image-file splits decoded as ``mode`` says (``none``: unchanged)."""
    if mode == "none" or not data.train.streamed:
        return data

    def cached(split: Split, name: str) -> Split:
        if not isinstance(split.x, ImageFiles):
            return split
        if mode == "memory":
            return replace(split, x=decode_all(split))
        return replace(split, x=LazyRows(disk_cache(split, name, directory), np.arange(len(split)), 255.0))

    test = cached(data.test, "test")
    return replace(
        data, train=cached(data.train, "train"), test=test, val=test if data.val_is_test else cached(data.val, "val")
    )


def fingerprint(files: ImageFiles) -> str:
    """A digest of the paths, their sizes and modification times, and the decoding settings."""
    digest = hashlib.sha256(repr((files.size, files.color_mode, files.crop_to_aspect_ratio)).encode())
    for path in files.paths:
        stat = os.stat(path)
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def disk_cache(split: Split, name: str, directory: Path) -> np.memmap:
    """The decoded images of ``split`` as a memory-mapped uint8 ``.npy``, written on first use."""
    path = Path(directory) / f"{name}-{fingerprint(cast(ImageFiles, split.x))}.npy"  # (only image files are cached)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".partial.{path.name}")
        log.info("data.cache=disk: decoding %d images into %s", len(split), path)
        try:
            out = np.lib.format.open_memmap(partial, mode="w+", dtype="uint8", shape=split.x.shape)
            for start, batch in enumerate_batches(split, 256):
                out[start : start + len(batch)] = np.clip(np.rint(batch * 255.0), 0, 255)
            out.flush()
            del out
            os.replace(partial, path)
        finally:  # a bad image, a full disk or a signal: no half-written cache left behind
            partial.unlink(missing_ok=True)
    return np.load(path, mmap_mode="r")
