"""Image files and memory-mapped rows: decoded or read only when a batch asks."""

import numpy as np
import pytest

from kexp.data import ImageFiles, Split
from kexp.data.images import LazyRows


def test_image_files_decode_to_the_asked_size_and_channels(image_tree):
    paths = np.array(sorted(str(p) for p in image_tree.rglob("*.*")))
    rgb = ImageFiles(paths, (16, 12), "rgb").load([0, 1])
    grey = ImageFiles(paths, (16, 12), "grayscale", crop_to_aspect_ratio=True)[[0, 1, 2]].load()
    assert rgb.shape == (2, 16, 12, 3) and grey.shape == (3, 16, 12, 1)
    assert rgb.dtype == np.float32 and 0 <= rgb.min() and rgb.max() <= 1 and rgb.max() > 0.6


def test_lazy_rows_read_only_the_rows_asked_for(tmp_path):
    base = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype="uint8", shape=(10, 4, 4))
    base[:] = np.arange(10, dtype="uint8")[:, None, None] * 20
    rows = LazyRows(np.load(tmp_path / "x.npy", mmap_mode="r"), np.arange(10), scale=255.0)[[7, 2]]
    assert rows.shape == (2, 4, 4, 1) and len(Split(rows, np.zeros(2)).take([1])) == 1
    assert rows.load().reshape(2, -1)[:, 0] == pytest.approx([140 / 255, 40 / 255])
