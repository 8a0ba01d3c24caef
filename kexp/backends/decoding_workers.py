"""Streamed image files decoded ahead by worker processes (Grain), for a fit on an accelerator.

Off TensorFlow, :class:`~kexp.backends.batches.SplitBatches` decodes each batch in
the training thread: about 17,000 28x28 PNGs a second on one core, a fraction of
what a GPU trains on (docs/performance.md "On a GPU": a streamed folder at 0.10×
of the same images as arrays). On a host with an accelerator the CPU cores are
otherwise idle, so there kexp hands the fit's training and validation batches to
Grain's worker processes (``grain.MapDataset(...).mp_prefetch``): batch ``k`` of
the fit's feed is batch ``k mod steps`` of pass ``k div steps`` — :class:`SplitBatches`'s
own batch, a pure function of ``(seed, epoch)`` (validation: the same every pass) —
so the workers decode it ahead and the batches, their order and resume are
exactly those of the training thread.

Used where all of these hold, else the training thread decodes (the log says why):
the split is image files (rows of a memory map are read faster than any process
could send them), the device is an accelerator (on a CPU the cores train the
model), at least :data:`FEWEST_WORKERS` cores are free besides the training's, the
fit decodes long enough to pay for starting them (:data:`WORKER_START_SECONDS`),
the main module can be imported again by a spawned process (a script's entry point under
``if __name__ == "__main__":``), and Grain is installed (``pip install kexp[grain]``).
"""

from __future__ import annotations

import ast
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kexp.backends.split_rows import SplitRows
from kexp.data.images import ImageFiles

if TYPE_CHECKING:  # (a worker imports this module: Keras stays out of it)
    from kexp.backends.batches import SplitBatches

log = logging.getLogger("kexp")

#: Worker processes at most (each imports Grain and Keras, and decodes its own batches).
MOST_WORKERS = 12
#: Fewer free cores than this and the training thread decodes alone.
FEWEST_WORKERS = 2
#: Cores left to the training process (its Python thread and the accelerator's runtime).
CORES_FOR_TRAINING = 2
#: Seconds for the workers to start (spawn, import Keras): 2.8 s for 2 workers on 2 vCPUs. A fit
#: whose decoding in the training thread would take less than twice this keeps the thread.
WORKER_START_SECONDS = 3.0
#: Batches each worker decodes ahead.
BATCHES_AHEAD = 4
#: Arrays at least this large reach the training process through shared memory, smaller ones
#: pickled (28x28 PNGs, batch 32, 2 workers on 2 vCPUs: 26,500 img/s pickled, 18,300 through
#: shared memory, whose blocks not yet handed out at exit Python reports as leaked).
SHARED_MEMORY_BYTES = 4 * 2**20


#: The tests of a script's entry point, as ``ast.unparse`` writes them (double quotes).
MAIN_GUARDS = ('__name__ == "__main__"', '"__main__" == __name__')


def free_cores() -> int:
    """The cores this process may run on, less :data:`CORES_FOR_TRAINING`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores - CORES_FOR_TRAINING


def main_module_reimportable() -> bool:
    """Whether a spawned process can import ``__main__`` without running the work again: interactive
    (no file), or a file whose entry point is under ``if __name__ == "__main__":`` (what Python's
    ``multiprocessing`` asks of a script; setup above it, say ``sys.path``, runs again harmlessly)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if path is None:
        return True
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    return any(
        isinstance(node, ast.If) and ast.unparse(node.test).replace("'", '"') in MAIN_GUARDS for node in tree.body
    )


def worker_reason(split: Any, images: int, device: str) -> str | None:
    """Why the training thread decodes ``split``'s ``images`` of this fit on ``device`` (None:
    worker processes decode them)."""
    if not isinstance(split.x, ImageFiles):
        return "rows of a memory map are read fastest in the training thread" if split.streamed else "arrays"
    if device == "cpu":
        return "on a CPU the cores train the model"
    if free_cores() < FEWEST_WORKERS:
        return f"{free_cores() + CORES_FOR_TRAINING} cores: none to spare for worker processes"
    seconds = split.x.decode_seconds * images  # (timed once per split, as for decoding_threads)
    if seconds < 2 * WORKER_START_SECONDS:
        return f"about {seconds:.1f} s of decoding, too little to pay for starting worker processes"
    if not main_module_reimportable():
        return "worker processes would run the main script again: put its entry point under if __name__ == '__main__':"
    try:
        import grain  # noqa: F401
    except ImportError:
        return "worker processes need Grain: pip install kexp[grain]"
    return None


def decode_ahead(batches: SplitBatches, passes: int, device: str) -> None:
    """Let worker processes decode the batches of ``passes`` passes of a fit over ``batches`` (its
    epochs: shuffled training batches; or its validation passes: batches in order) where it pays
    (:func:`worker_reason`); logs which. Validation gets a quarter of the training's workers (its
    split is a fraction of the training split)."""
    if not isinstance(batches.split.x, ImageFiles):
        return  # (rows of a memory map: read fastest in the training thread, see worker_reason)
    what = "training" if batches.seed is not None else "validation"
    reason = worker_reason(batches.split, len(batches.split) * passes, device)
    if reason is not None:  # (validation's said only when asked: mostly the training's reason again)
        log.log(
            logging.INFO if what == "training" else logging.DEBUG,
            "%s images: decoded in the training thread (%s)",
            what,
            reason,
        )
        return
    workers = min(MOST_WORKERS, free_cores())
    if batches.seed is None:
        workers = max(FEWEST_WORKERS, workers // 4)
    batches.ahead = DecodedAhead(batches, passes, workers)
    log.info("%s images: decoded ahead by %d worker processes (Grain)", what, workers)


class BatchOfFit:
    """Batch ``k`` of a fit's feed: :class:`SplitBatches`'s batch ``k mod steps`` of pass ``k div
    steps`` — of that epoch's order for shuffled batches, of the split's order otherwise (what a
    Grain worker computes, with :class:`~kexp.backends.split_rows.SplitRows`, the same code
    without Keras; an epoch's order is made once)."""

    def __init__(self, batches: SplitBatches) -> None:
        self.split, self.batch_size, self.seed, self.threads = (
            batches.split,
            batches.batch_size,
            batches.seed,
            batches.threads,
        )
        self.steps = len(batches)
        self._epoch: SplitRows | None = None

    def __call__(self, k: int) -> tuple:
        epoch, index = divmod(int(k), self.steps)
        if self.seed is None:
            epoch = 0  # (in order: every pass the same)
        if self._epoch is None or self._epoch.epoch != epoch:
            self._epoch = SplitRows(self.split, self.batch_size, self.seed, epoch, threads=self.threads)
        return self._epoch[index]

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_epoch": None}


def _start_worker(*_: int) -> None:
    """In a worker: Ctrl-C is the training process's to act on (it stops the workers), JAX
    (imported with Grain) stays off the accelerator, and Keras, imported for its Pillow image
    loader (:meth:`kexp.data.images.ImageFiles.load`), on its NumPy backend: no TensorFlow
    or accelerator runtime started for decoding (a worker's start 7.1 → 4.1 s where the
    training runs on TensorFlow, 2 vCPUs). Nothing before the first batch imports Keras
    (:class:`BatchOfFit` is :class:`~kexp.backends.split_rows.SplitRows`'s)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["JAX_PLATFORMS"] = "cpu"
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "numpy"
    if "jax" in sys.modules:
        sys.modules["jax"].config.update("jax_platforms", "cpu")


class DecodedAhead:
    """Batches ``first`` .. ``first + passes·steps − 1`` of a fit's feed over ``batches``
    (:class:`BatchOfFit`), decoded in order by ``workers`` Grain processes; :meth:`take` hands
    out batch ``k`` when it is the next one.

    Training: Keras's ``fit`` ends the adapter's epoch once before training
    (``EpochIterator.reset`` after building the model), so the first epoch trained is
    ``batches.epoch + 1`` and the workers start there. Validation: every pass reads the batches
    from the first (:meth:`SplitBatches.position` counts the passes). A batch asked for out of
    that order (the build's own) is read in the training thread; one further on restarts the
    workers there. Should the workers stop (killed, say by a SIGTERM to the whole process
    group), the training thread reads the batch and the rest, saying so; a bad image is then
    reported as it is read there.
    """

    def __init__(self, batches: SplitBatches, passes: int, workers: int) -> None:
        from absl import flags

        if not flags.FLAGS.is_parsed():  # (grain 0.2.18 reads an absl flag: google/grain#1355)
            flags.FLAGS.mark_as_parsed()
        self.steps, self.workers = len(batches), workers
        self.reader = BatchOfFit(batches)
        first = (batches.epoch + 1) * self.steps if batches.seed is not None else 0
        self._end = first + passes * self.steps
        self._iterator: Any = None
        self._start(first)

    def _start(self, first: int) -> None:
        import grain

        self.close()
        self.next = first
        dataset = (
            grain.MapDataset.range(first, self._end)
            .map(self.reader)
            .to_iter_dataset(grain.ReadOptions(num_threads=0, prefetch_buffer_size=0))
        )
        dataset = grain.experimental.WithOptionsIterDataset(
            dataset, grain.experimental.DatasetOptions(min_shm_size=SHARED_MEMORY_BYTES)
        ).mp_prefetch(
            grain.MultiprocessingOptions(num_workers=self.workers, per_worker_buffer_size=BATCHES_AHEAD),
            worker_init_fn=_start_worker,
        )
        self._iterator = iter(dataset)

    def take(self, k: int) -> tuple | None:
        """Batch ``k`` of the fit from the workers, or None (to be read in the training thread)."""
        if not self.next <= k < self._end:
            return None
        if k != self.next:
            log.debug("batch %d asked for, %d decoded next: the workers start again there", k, self.next)
            self._start(k)
        try:
            batch = next(self._iterator)
        except Exception as err:  # (a worker killed, say by SIGTERM: the training thread reads on)
            log.warning(
                "training images: the worker processes stopped (%s); the training thread decodes the rest",
                str(err).splitlines()[0] if str(err) else type(err).__name__,
            )
            self.close()
            self._end = 0
            return None
        self.next += 1
        return batch

    def close(self) -> None:
        """Stop the worker processes."""
        if self._iterator is not None:
            self._iterator.close()
            self._iterator = None
