"""Batches of streamed splits for backends without ``tf.data`` (JAX, torch): ``keras.utils.PyDataset``.

Keras runs ``__getitem__`` in worker threads and prefetches, so images are
decoded (by Pillow) in parallel while the model trains, and only a few
batches are ever in memory.
"""

from __future__ import annotations

import keras
import numpy as np

from kexp.config.errors import DataError
from kexp.data.prepare import Split, read_rows


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the samples in ``epoch``: a permutation keyed by ``(seed, epoch)``.

    The same on every rerun, so a run resumed at epoch k sees the batches an
    uninterrupted run sees there.
    """
    return np.random.default_rng([seed, epoch]).permutation(count)


class SplitBatches(keras.utils.PyDataset):
    """Batches of ``split`` in order (evaluation), or shuffled per epoch when ``seed`` is given.

    Shuffled: epoch ``first_epoch`` first; Keras calls ``on_epoch_end``
    after each epoch, which moves to the next epoch's order.

    ``shard=(index, count)`` (a batch split over several devices, by this process
    and ``count - 1`` others): ``batch_size`` is the global batch, only whole
    ones are fed (the last ``len(split) mod batch_size`` samples of each epoch's
    order are left out, so every device gets an equal part of every step), and
    this process yields rows ``index·b … (index+1)·b − 1`` of each, with
    ``b = batch_size / count``.
    """

    def __init__(
        self,
        split: Split,
        batch_size: int,
        seed: int | None = None,
        first_epoch: int = 0,
        workers: int = 4,
        shard: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=8)
        self.split, self.batch_size, self.seed = split, batch_size, seed
        self.shard = shard
        if shard is not None and (batch_size % shard[1] or len(split) < batch_size):
            raise DataError(
                f"{len(split)} samples cannot be split into whole global batches of "
                f"{batch_size} over {shard[1]} process(es); lower trainer.batch_size"
            )
        self.epoch = first_epoch
        self.order = self._order()

    def _order(self) -> np.ndarray:
        if self.seed is None:
            return np.arange(len(self.split))
        return epoch_order(len(self.split), self.seed, self.epoch)

    def __len__(self) -> int:
        if self.shard is not None:
            return len(self.split) // self.batch_size
        return -(-len(self.split) // self.batch_size)

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        if self.shard is not None:
            local = self.batch_size // self.shard[1]
            rows = rows[self.shard[0] * local : (self.shard[0] + 1) * local]
        x, y = read_rows(self.split.x, rows), self.split.y[rows]
        if self.split.weights is None or self.seed is None:
            return x, y
        return x, y, self.split.weights[rows]

    def on_epoch_end(self) -> None:
        """Next epoch: the next seeded order (in-order batches stay in order)."""
        if self.seed is not None:
            self.epoch += 1
            self.order = self._order()
