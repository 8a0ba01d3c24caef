"""How long Grain's decoding workers take to start: kexp's (Keras on its NumPy backend in a worker)
against workers that import Keras on the training process's backend (what they did before
2026-12-07, session 22), side by side, alternating.

    python benchmarks/decoding_workers_start.py [--workers 2] [--repeats 3]
    KERAS_BACKEND=jax python benchmarks/decoding_workers_start.py

Each repeat makes a :class:`kexp.backends.decoding_workers.DecodedAhead` over a small image
folder (the tests' ``write_image_tree``, read at 28x28) and times until its first batch (wall), then stops the workers and
reads their CPU seconds (``getrusage`` of the children waited for). Prints the medians and the
ratio of each.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def start_on_the_training_backend(*_: int) -> None:
    """The workers' start before session 22: Keras imported on the training process's backend."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["JAX_PLATFORMS"] = "cpu"
    if "jax" in sys.modules:
        sys.modules["jax"].config.update("jax_platforms", "cpu")


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def first_batch(split, workers: int, start_worker) -> tuple[float, float]:
    """Seconds until the first batch from ``workers`` processes started by ``start_worker``, and their CPU seconds."""
    from kexp.backends import decoding_workers
    from kexp.backends.batches import SplitBatches

    chosen = decoding_workers._start_worker
    decoding_workers._start_worker = start_worker
    try:
        cpu = children_cpu()
        batches = SplitBatches(split, 8, seed=0)
        started = time.perf_counter()
        batches.ahead = decoding_workers.DecodedAhead(batches, passes=2, workers=workers)
        batches.on_epoch_end()  # (as fit does after building the model: the workers' first batch)
        batches[0]
        seconds = time.perf_counter() - started
        batches.close()
        return seconds, children_cpu() - cpu
    finally:
        decoding_workers._start_worker = chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    import keras
    import numpy as np

    from kexp.backends.decoding_workers import _start_worker
    from kexp.data import ImageFiles, Split
    from tests.conftest import write_image_tree

    folder = write_image_tree(Path(tempfile.mkdtemp()) / "photos", per_class=20)
    paths = np.array(sorted(str(p) for p in folder.rglob("*.png")))
    split = Split(ImageFiles(paths, (28, 28), "grayscale"), np.arange(len(paths)))
    ways = {"kexp (Keras on NumPy)": _start_worker, "the training's backend": start_on_the_training_backend}
    timed: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
    print(f"{args.workers} workers, training process on {keras.backend.backend()}, {len(paths)} PNGs")
    for repeat in range(1, args.repeats + 1):
        for way, start_worker in ways.items():
            timed[way].append(first_batch(split, args.workers, start_worker))
        print(
            f"repeat {repeat}: "
            + "   ".join(f"{way} {t[-1][0]:.2f} s ({t[-1][1]:.1f} CPU s)" for way, t in timed.items()),
            flush=True,
        )
    (kexp, seconds_kexp), (before, seconds_before) = ((w, [t[0] for t in timed[w]]) for w in ways)
    cpu_kexp, cpu_before = (statistics.median(t[1] for t in timed[w]) / args.workers for w in ways)
    print(
        f"median until the first batch: {kexp} {statistics.median(seconds_kexp):.2f} s, {before} "
        f"{statistics.median(seconds_before):.2f} s, ratio {statistics.median(seconds_kexp) / statistics.median(seconds_before):.3f}x"
    )
    print(
        f"median CPU s a worker: {kexp} {cpu_kexp:.2f}, {before} {cpu_before:.2f}, ratio {cpu_kexp / cpu_before:.3f}x"
    )


if __name__ == "__main__":
    main()
