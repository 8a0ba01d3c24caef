"""Issue 34 item 4: a PNG folder streamed on JAX against the same folder on TensorFlow's ``tf.data``.

    python benchmarks/streaming.py [--images 6400] [--repeats 3] [--baseline DIR] [--workers N ...]

Needs ``../shared/data/mnist.npz``: its training images are exported once as
``<cache>/mnist-png/<digit>/<n>.png`` (as ``data_pipeline.py`` does). A process
has one Keras backend, so every measurement runs in a fresh process per backend,
the backends alternating, and the medians and ratios are printed per wall second
and per CPU second (of that process: on JAX the reading happens in it):

1. the input pipeline alone, no model: one epoch of the training batches kexp
   feeds ``fit`` (JAX: :class:`kexp.backends.batches.SplitBatches` through
   Keras's adapter; TensorFlow: ``epoch_seeded_dataset``), in images/s after the first batch;
2. a tiny net (``model=mlp model.hidden_units=[16]``, batch 32) trained by kexp's
   ``fit`` from the files (no cache) for 2 epochs: images/s of the second epoch
   (the first compiles), validation on 256 files included.

``--baseline DIR`` also runs the JAX side with the kexp of another checkout
(``git worktree add DIR <commit>``), in the same alternation. ``--workers N ...`` also
runs JAX with N of Grain's worker processes decoding ahead
(:mod:`kexp.backends.decoding_workers`, forced: kexp uses them on an accelerator host
with cores to spare); read its wall-clock rates, as the workers' CPU seconds are not
the measuring process's, and the tiny net's second epoch, as starting them falls in the first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TINY_NET = ["model=mlp", "model.hidden_units=[16]", "trainer.batch_size=32", "trainer.epochs=2", "trainer.verbose=0"]


def pipeline_alone(root: Path, images: int) -> dict:
    """One epoch of kexp's training batches of ``images`` files after the first batch, no model: wall and
    CPU seconds."""
    from data_pipeline import file_splits
    from throughput import Stopwatch

    from kexp.data.pipeline import close_inputs, training_inputs

    train, _ = file_splits(root, images)
    inputs = training_inputs(train, 32, seed=0, first_epoch=0, epochs=1)
    if "steps_per_epoch" in inputs:  # (tf.data: one pipeline over the epochs)
        batches = inputs["x"].take(inputs["steps_per_epoch"])
    else:
        from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

        adapter = PyDatasetAdapter(inputs["x"], shuffle=False)
        adapter.on_epoch_end()  # (as fit does after building the model: the epoch trained first is the next)
        batches = adapter.get_numpy_iterator()
    batches = iter(batches)
    next(batches)  # (not timed: whatever starts the pipeline, worker processes say)
    with Stopwatch() as watch:
        count = sum(int(x.shape[0]) for x, *_ in batches)
    close_inputs(inputs)
    return {"images": count, "wall": watch.wall, "cpu": watch.cpu}


def tiny_net(root: Path, images: int) -> dict:
    """The tiny net trained 2 epochs from the files: wall and CPU seconds of the second epoch."""
    import keras
    from data_pipeline import file_splits
    from throughput import compose, epoch_clock, kexp_fit

    from kexp.data import Dataset

    train, val = file_splits(root, images)
    keras.utils.set_random_seed(0)
    clock = epoch_clock()
    kexp_fit(compose(TINY_NET), Dataset("bench", train, val, val, 10), [clock])
    return {"images": images, "wall": clock.steady[0], "cpu": clock.steady[1]}


MEASUREMENTS = {"pipeline": pipeline_alone, "tiny-net": tiny_net}
#: The environment variable that tells a measuring process how many Grain workers to force.
WORKERS = "KEXP_BENCH_WORKERS"


def measure(what: str, backend: str, root: Path, images: int, checkout: Path | None = None, workers: int = 0) -> dict:
    """``what`` in a fresh process on ``backend`` (importing kexp from ``checkout`` when given; ``workers``
    Grain processes decoding ahead, forced)."""
    checkout = (checkout or REPO).resolve()
    command = [sys.executable, __file__, "--child", what, "--root", str(root), "--images", str(images),
               "--checkout", str(checkout)]
    done = subprocess.run(command, env=dict(os.environ, KERAS_BACKEND=backend, **{WORKERS: str(workers or "")}),
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{what} on {backend} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result["kexp"]).is_relative_to(checkout), f"kexp came from {result['kexp']}, not {checkout}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "kexp-bench")
    parser.add_argument("--images", type=int, default=6400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout whose JAX side is timed alongside")
    parser.add_argument("--workers", type=int, nargs="*", default=[],
                        help="also time JAX with this many Grain worker processes decoding ahead (forced, as on a "
                             "GPU host)")
    parser.add_argument("--measure", nargs="*", choices=sorted(MEASUREMENTS), help="only these (default: both)")
    parser.add_argument("--child", choices=sorted(MEASUREMENTS), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--checkout", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import data_pipeline  # noqa: F401  (it puts this repository first on sys.path: the checkout goes before)

        sys.path.insert(0, str(args.checkout))
        import kexp

        if os.environ.get(WORKERS):  # (forced: what kexp does on an accelerator host with cores to spare)
            from kexp.backends import decoding_workers

            decoding_workers.worker_reason = lambda split, images, device: None
            decoding_workers.free_cores = lambda: int(os.environ[WORKERS])

        print(json.dumps({**MEASUREMENTS[args.child](args.root, args.images), "kexp": kexp.__file__}))
        return
    sys.path.insert(0, str(HERE))
    from data_pipeline import export_png_tree

    root = export_png_tree(args.cache / "mnist-png")
    sides = {"JAX": ("jax", None), "TensorFlow tf.data": ("tensorflow", None)}
    if args.baseline is not None:
        sides["JAX (baseline)"] = ("jax", args.baseline.resolve())
    for count in args.workers:
        sides[f"JAX, {count} workers"] = ("jax", None, count)
    for what in args.measure or MEASUREMENTS:
        print(f"\n{what}: {args.images} PNG files of {root}, batch 32", flush=True)
        rates: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
        for repeat in range(1, args.repeats + 1):
            for side, (backend, checkout, *workers) in sides.items():
                started = time.perf_counter()
                result = measure(what, backend, root, args.images, checkout, *workers)
                rates[side].append((result["images"] / result["wall"], result["images"] / result["cpu"]))
                print(f"   repeat {repeat}, {side}: {rates[side][-1][0]:,.0f} img/s "
                      f"({rates[side][-1][1]:,.0f} per CPU s; process {time.perf_counter() - started:.0f} s)",
                      flush=True)
        for clock, index in (("wall", 0), ("CPU", 1)):
            median = {side: statistics.median(r[index] for r in rates[side]) for side in sides}
            base = median["TensorFlow tf.data"]
            print(f"   median per {clock} second: " + ", ".join(
                f"{side} {value:,.0f} ({value / base:.3f}x tf.data)" for side, value in median.items()), flush=True)


if __name__ == "__main__":
    main()
