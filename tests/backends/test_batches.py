"""Batches of streamed splits off ``tf.data`` (JAX, torch): read in the training thread, or in
Keras's threads for image files that decode in parallel — the same batches either way."""

import numpy as np
import pytest
from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

from kexp.backends import batches
from kexp.backends.batches import SplitBatches, reading_threads
from kexp.data import ImageFiles, Split
from kexp.data import images
from kexp.data.images import LazyRows


@pytest.fixture
def files(image_tree) -> Split:
    paths = np.array(sorted(str(p) for p in image_tree.rglob("*.png")))
    return Split(ImageFiles(paths, (16, 16), "grayscale"), np.arange(len(paths)) % 3)


def epoch(dataset: SplitBatches) -> list:
    """One epoch as Keras's adapter hands it to ``fit`` (through its threads when ``workers`` > 1)."""
    return list(PyDatasetAdapter(dataset, shuffle=False).get_numpy_iterator())


def test_threads_decode_only_image_files_slow_enough_and_never_change_the_batches(files, monkeypatch, tmp_path):
    monkeypatch.setattr(images, "THREADED_DECODE_SECONDS", float("inf"))
    assert reading_threads(files) == 1  # (small images: read in the training thread)
    read_here = epoch(SplitBatches(files, 8, seed=3))
    monkeypatch.setattr(images, "THREADED_DECODE_SECONDS", 0.0)
    assert reading_threads(files) == batches.DECODING_THREADS
    threaded = SplitBatches(files, 8, seed=3)
    assert threaded.workers == batches.DECODING_THREADS
    assert len(read_here) == len(files.y) // 8 + 1
    for ours, theirs in zip(read_here, epoch(threaded), strict=True):
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a, b)
    # rows of a memory map are never worth Keras's threads (10x slower through them, measured)
    np.save(tmp_path / "x.npy", np.zeros((10, 4, 4), dtype="uint8"))
    rows = LazyRows(np.load(tmp_path / "x.npy", mmap_mode="r"), np.arange(10), scale=255.0)
    assert reading_threads(Split(rows, np.zeros(10))) == 1


def test_a_bad_file_among_the_timed_ones_is_left_to_the_batch_that_reads_it(files, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    paths = np.concatenate([[str(broken)], files.x.paths])
    ImageFiles(paths, (16, 16), "grayscale").decodes_in_parallel()  # (times the files; raises nothing)
    with pytest.raises(images.BadImageError, match="broken.png"):
        ImageFiles(paths, (16, 16), "grayscale").load([0])
