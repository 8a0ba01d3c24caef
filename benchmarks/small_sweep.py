"""Issue 34 item 6: a sweep of small runs against a hand-written loop that trains the same.

    python benchmarks/small_sweep.py [--runs 8] [--repeats 2] [--baseline DIR]

(a) kexp: ``python -m kexp -m model=mlp data.train_size=300 trainer.epochs=2 seed=0,...,7``
— one process, Hydra's basic launcher, every file of every run written (history,
metrics, curves, confusion matrix, summary, model, the sweep's comparison and report).
(b) hand-written: one Python process that loads the same digits and, per seed, builds the
same Keras MLP, fits 2 epochs with validation, evaluates on the test split, writes
``history.csv``, ``metrics.csv``, ``curves.png`` and ``model.keras``: what a student's
script that "does the same" does. Both in fresh processes (start-up and imports counted,
as a user waits for them), alternating; the medians and their ratio printed: wall clock
(the goal's measure) and the processes' CPU seconds (steadier on a shared machine).
``--cold-cache``: kexp's per-user cache (``KEXP_CACHE_DIR``: on JAX, its compiled programs)
empty for each of its sweeps; by default one cache for the whole benchmark, filled by an untimed
sweep first — what a user's second sweep finds (a hand-written script has none).
``--baseline DIR``: also time the kexp of another checkout (``git worktree add DIR
<commit>``; imported from DIR through ``PYTHONPATH``) in the same alternation, so a
change is measured against what it changes in one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

HANDWRITTEN = r"""
import sys
from pathlib import Path

import keras
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.ndimage import zoom
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

out, runs = Path(sys.argv[1]), int(sys.argv[2])
bunch = load_digits()
images = np.clip(zoom(bunch.images.astype("float32") / 16.0, (1, 28 / 8, 28 / 8), order=1), 0, 1)[..., None]
for seed in range(runs):
    keras.utils.set_random_seed(seed)
    x, x_test, y, y_test = train_test_split(images, bunch.target, test_size=0.2, stratify=bunch.target,
                                            random_state=seed)
    x, y, x_test, y_test = x[:300], y[:300], x_test[:100], y_test[:100]
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(512, activation="relu"), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=2, validation_split=0.1, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    run = out / str(seed)
    run.mkdir(parents=True)
    table = pd.DataFrame(history.history)
    table.insert(0, "epoch", range(1, len(table) + 1))
    table.to_csv(run / "history.csv", index=False)
    pd.DataFrame([{"test_loss": loss, "test_accuracy": accuracy}]).to_csv(run / "metrics.csv", index=False)
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, name in zip(axes, ("accuracy", "loss")):
        ax.plot(table["epoch"], table[name], label="training")
        ax.plot(table["epoch"], table[f"val_{name}"], label="validation")
        ax.legend()
    figure.savefig(run / "curves.png")
    plt.close(figure)
    model.save(run / "model.keras")
"""


#: kexp's per-user cache for the kexp sides (``--cold-cache``: a new one for each sweep).
CACHE = {"KEXP_CACHE_DIR": tempfile.mkdtemp(prefix="kexp-bench-cache-")}


def timed_process(command: list[str], cwd: Path, checkout: Path | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of ``command`` run in ``cwd`` (importing kexp from ``checkout``)."""
    env = dict(os.environ, **CACHE)
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def time_kexp(runs: int, cwd: Path, checkout: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of the kexp sweep of ``runs`` seeds into ``cwd`` (``checkout``'s kexp if given)."""
    seeds = ",".join(map(str, range(runs)))
    command = [sys.executable, "-m", "kexp", "-m", "model=mlp", "data.train_size=300", "data.test_size=100",
               "trainer.epochs=2", f"seed={seeds}", "hydra.sweep.dir=sweep"]
    return timed_process(command, cwd, checkout)


def time_handwritten(runs: int, cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the hand-written loop of ``runs`` seeds into ``cwd``."""
    return timed_process([sys.executable, "-c", HANDWRITTEN, str(cwd / "loop"), str(runs)], cwd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="another checkout whose kexp is timed alongside")
    parser.add_argument("--cold-cache", action="store_true", help="an empty kexp cache for each kexp sweep")
    args = parser.parse_args()
    if not args.cold_cache:
        with tempfile.TemporaryDirectory() as cwd:
            time_kexp(args.runs, Path(cwd))
    sides = {"kexp": time_kexp, "hand-written": time_handwritten}
    if args.baseline is not None:
        sides["baseline"] = lambda runs, cwd: time_kexp(runs, cwd, args.baseline.resolve())
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    for repeat in range(1, args.repeats + 1):
        for name, timed in sides.items():
            if args.cold_cache:
                CACHE["KEXP_CACHE_DIR"] = tempfile.mkdtemp(prefix="kexp-bench-cache-")
            with tempfile.TemporaryDirectory() as cwd:
                times[name].append(timed(args.runs, Path(cwd)))
        print(f"repeat {repeat}: " + ", ".join(f"{n} {t[-1][0]:.1f} s ({t[-1][1]:.1f} CPU s)" for n, t in times.items()),
              flush=True)
    for measure, index in (("wall", 0), ("CPU", 1)):
        median = {name: statistics.median(t[index] for t in times[name]) for name in times}
        hand = median["hand-written"]
        print(f"median of {args.repeats}, {measure}: {args.runs} runs — " + ", ".join(
            f"{name} {value:.1f} s ({value / args.runs:.2f} s a run, {value / hand:.2f}x the hand-written)"
            for name, value in median.items()))
        # each repeat's sides ran back to back: their ratio is steadier than the medians' when the
        # host's speed drifts between repeats
        paired = {name: sorted(t[index] / h[index] for t, h in zip(times[name], times["hand-written"]))
                  for name in times if name != "hand-written"}
        print(f"  per repeat, {measure}, ÷ the hand-written: " + "; ".join(
            f"{name} median {statistics.median(r):.2f}x (" + ", ".join(f"{x:.2f}" for x in r) + ")"
            for name, r in paired.items()))


if __name__ == "__main__":
    main()
