"""Batches of streamed splits off ``tf.data`` (JAX, torch): every epoch is its own seeded order,
read in the training thread; image files slow to decode are decoded by a few threads per batch."""

import numpy as np
import pytest
from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

from kexp.backends import batches
from kexp.backends.batches import SplitBatches, decoding_threads, epoch_order
from kexp.data import ImageFiles, Split, images
from kexp.data.images import LazyRows


@pytest.fixture
def files(image_tree) -> Split:
    paths = np.array(sorted(str(p) for p in image_tree.rglob("*.png")))
    return Split(ImageFiles(paths, (16, 16), "grayscale"), np.arange(len(paths)))  # (y: the row)


def fit_epochs(dataset: SplitBatches, epochs: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (x, y) of each epoch as Keras's ``fit`` takes them from its adapter: first one batch
    read to build the model (then the adapter is reset), then the epochs."""
    adapter = PyDatasetAdapter(dataset, shuffle=False)
    adapter.on_epoch_begin()
    next(iter(adapter.get_numpy_iterator()))
    adapter.on_epoch_end()
    seen = []
    for _ in range(epochs):
        adapter.on_epoch_begin()
        x, y = zip(*adapter.get_numpy_iterator())
        adapter.on_epoch_end()
        seen.append((np.concatenate(x), np.concatenate(y)))
    return seen


def test_every_epoch_is_its_own_seeded_order_however_the_files_are_decoded(files, monkeypatch):
    monkeypatch.setattr(images, "THREADED_DECODE_SECONDS", float("inf"))
    assert decoding_threads(files) == 1  # (small images: read in the training thread alone)
    alone = fit_epochs(SplitBatches(files, 8, seed=3), 3)
    monkeypatch.setattr(images, "THREADED_DECODE_SECONDS", 0.0)
    threaded = SplitBatches(files, 8, seed=3)
    assert threaded.threads == decoding_threads(files) == batches.DECODING_THREADS
    # (Keras's own threads, workers > 1, handed out batches fetched ahead for the epoch before)
    for epoch, ((x, y), (x_threaded, y_threaded)) in enumerate(zip(alone, fit_epochs(threaded, 3), strict=True)):
        np.testing.assert_array_equal(y, epoch_order(len(files), 3, epoch + 1))  # (epoch 0 read to build)
        np.testing.assert_array_equal(y_threaded, y)
        np.testing.assert_array_equal(x_threaded, x)
        np.testing.assert_array_equal(x, files.x.load(y))


def test_rows_of_a_memory_map_are_read_in_the_training_thread(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((10, 4, 4), dtype="uint8"))
    rows = LazyRows(np.load(tmp_path / "x.npy", mmap_mode="r"), np.arange(10), scale=255.0)
    assert decoding_threads(Split(rows, np.zeros(10))) == 1


def test_a_bad_file_among_the_timed_ones_is_left_to_the_batch_that_reads_it(files, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    paths = np.concatenate([[str(broken)], files.x.paths])
    ImageFiles(paths, (16, 16), "grayscale").decodes_in_parallel()  # (times the files; raises nothing)
    with pytest.raises(images.BadImageError, match="broken.png"):
        SplitBatches(Split(ImageFiles(paths, (16, 16), "grayscale"), np.zeros(len(paths))), 4, threads=4)[0]
