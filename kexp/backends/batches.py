"""Batches of streamed splits for backends without ``tf.data`` (JAX, torch): ``keras.utils.PyDataset``.

Batches are read in the training thread (JAX's asynchronous dispatch lets the
device run the previous step meanwhile), never by Keras's worker threads: with
``workers`` > 1 Keras 3.15 keeps the batches its threads fetched ahead when an
epoch ends — after the one batch ``fit`` reads to build the model, too — and
hands them out first in the next epoch, so every epoch got batches of another
epoch's order (``PyDatasetEnqueuer.stop`` drains them "for the next run"); and
for small images and rows of a memory map those threads were several times
slower (docs/performance.md "Streaming a folder on JAX"). Image files slow to
decode (photos: :meth:`kexp.data.images.ImageFiles.decodes_in_parallel`) are
decoded by a few threads of kexp's own within each batch, which Pillow lets run
in parallel. Only a few batches are ever in memory.
"""

from __future__ import annotations

from typing import Any

import keras

from kexp.backends.split_rows import DECODING_THREADS, SplitRows, decoding_threads, epoch_order

__all__ = ["DECODING_THREADS", "SplitBatches", "decoding_threads", "epoch_order"]


class SplitBatches(SplitRows, keras.utils.PyDataset):
    """:class:`~kexp.backends.split_rows.SplitRows` fed to Keras's ``fit`` as a ``PyDataset``
    (read in the training thread), its batches taken from worker processes where they decode
    ahead (:attr:`ahead`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """:class:`~kexp.backends.split_rows.SplitRows`'s arguments."""
        keras.utils.PyDataset.__init__(self, workers=1, use_multiprocessing=False)  # (see the module's docstring)
        SplitRows.__init__(self, *args, **kwargs)
        #: the fit's batches decoded ahead by worker processes (:mod:`kexp.backends.decoding_workers`)
        self.ahead: Any = None
        self._passes, self._last_index = 0, -1  # (batches in order: see position)

    def __getitem__(self, index: int):
        if self.ahead is not None:
            decoded = self.ahead.take(self.position(index))
            if decoded is not None:
                return decoded
        return SplitRows.__getitem__(self, index)

    def position(self, index: int) -> int:
        """Where batch ``index`` falls in the fit's feed: ``epoch · len + index`` when shuffled; in
        order, ``pass · len + index``, a new pass beginning wherever the index goes back."""
        if self.seed is not None:
            return self.epoch * len(self) + index
        if index <= self._last_index:
            self._passes += 1
        self._last_index = index
        return self._passes * len(self) + index

    def close(self) -> None:
        """Stop the worker processes decoding ahead, if any."""
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None
