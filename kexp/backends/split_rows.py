"""A split's batches as arrays, without Keras: what :class:`kexp.backends.batches.SplitBatches`
feeds ``fit`` and what a worker process decoding ahead computes
(:mod:`kexp.backends.decoding_workers`) — the same code in both, and the workers start
without importing Keras (nor its backend)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kexp.config.errors import DataError
from kexp.data.images import ImageFiles
from kexp.data.prepare import Split, read_rows


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the samples in ``epoch``: a permutation keyed by ``(seed, epoch)``.

    The same on every rerun, so a run resumed at epoch k sees the batches an
    uninterrupted run sees there.
    """
    return np.random.default_rng([seed, epoch]).permutation(count)


#: Threads that decode one batch's image files together, for files that decode in parallel.
DECODING_THREADS = 4


def decoding_threads(split: Split) -> int:
    """The threads that decode each batch of ``split``: :data:`DECODING_THREADS` for image files
    that decode in parallel, else 1 (read in the training thread alone)."""
    return DECODING_THREADS if isinstance(split.x, ImageFiles) and split.x.decodes_in_parallel() else 1


class SplitRows:
    """Batches of ``split`` in order (evaluation), or shuffled per epoch when ``seed`` is given.

    Shuffled: epoch ``first_epoch`` first; Keras calls ``on_epoch_end``
    after each epoch, which moves to the next epoch's order.

    ``shard=(index, count)`` (a batch split over several devices, by this process
    and ``count - 1`` others): ``batch_size`` is the global batch, only whole
    ones are fed, and this process yields rows ``index·b … (index+1)·b − 1`` of
    each, with ``b = batch_size / count``. In training the last
    ``len(split) mod batch_size`` samples of each epoch's order are left out
    (every device gets an equal part of every step). In evaluation every sample
    counts once: the last batch is filled up with copies of its first row
    weighted 0, and every real row is weighted ``padded / len(split)``, which
    makes Keras's batch-size-weighted mean of the losses (and its weighted
    metrics) the plain mean over the split's samples, as on one device.
    """

    def __init__(
        self,
        split: Split,
        batch_size: int,
        seed: int | None = None,
        first_epoch: int = 0,
        shard: tuple[int, int] | None = None,
        threads: int | None = None,
    ) -> None:
        self.split, self.batch_size, self.seed = split, batch_size, seed
        #: threads decoding each batch's files (``None``: :func:`decoding_threads` decides)
        self.threads = decoding_threads(split) if threads is None else threads
        self.shard = shard
        if shard is not None and (batch_size % shard[1] or (seed is not None and len(split) < batch_size)):
            raise DataError(
                f"{len(split)} samples cannot be split into whole global batches of "
                f"{batch_size} over {shard[1]} process(es); lower trainer.batch_size"
            )
        self.epoch = first_epoch
        self.order = self._order()
        #: evaluation over several devices: the last batch padded, each real row weighted this
        self.padded = shard is not None and seed is None
        self.row_weight = len(self) * batch_size / len(split) if self.padded and len(split) else 1.0

    def _order(self) -> np.ndarray:
        if self.seed is None:
            return np.arange(len(self.split))
        return epoch_order(len(self.split), self.seed, self.epoch)

    def __len__(self) -> int:
        if self.shard is not None and self.seed is not None:
            return len(self.split) // self.batch_size
        return -(-len(self.split) // self.batch_size)

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        weights = None
        if self.padded:
            real = np.full(self.batch_size, self.row_weight, dtype="float32")
            real[len(rows) :] = 0.0
            rows = np.concatenate([rows, np.full(self.batch_size - len(rows), rows[0])])
            weights = real
        if self.shard is not None:
            local = slice(self.shard[0] * (self.batch_size // self.shard[1]), None)
            local = slice(local.start, local.start + self.batch_size // self.shard[1])
            rows = rows[local]
            weights = weights[local] if weights is not None else None
        x, y = self._inputs(rows), self.split.y[rows]
        if weights is not None:
            return x, y, weights
        if self.split.weights is None or self.seed is None:
            return x, y
        return x, y, self.split.weights[rows]

    def _inputs(self, rows: np.ndarray) -> np.ndarray:
        """The inputs at ``rows``; image files in :attr:`threads` parts decoded side by side."""
        if self.threads < 2 or len(rows) < 2:
            return read_rows(self.split.x, rows)
        parts = np.array_split(rows, min(self.threads, len(rows)))
        with ThreadPoolExecutor(len(parts)) as pool:
            return np.concatenate(list(pool.map(lambda part: read_rows(self.split.x, part), parts)))

    def on_epoch_end(self) -> None:
        """Next epoch: the next seeded order (in-order batches stay in order)."""
        if self.seed is not None:
            self.epoch += 1
            self.order = self._order()
