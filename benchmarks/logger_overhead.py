"""What ``logger=[csv,mlflow]`` costs on the default run, measured side by side.

    python benchmarks/logger_overhead.py [--repeats 3] [extra overrides...]

Runs ``python -m kexp`` (the default run: digits, the slides' cnn) without and
with the MLflow logger, alternately, ``--repeats`` times each, into a
temporary directory (an SQLite store there). Prints per run the mean epoch
time of epochs 2..N from history.csv (``epoch_seconds``: the epoch's training,
validation and every callback's ``on_epoch_end``, MLflow's included) and the
whole process's wall time (imports, opening the store, logging the artifacts
at the end), then the medians and the differences in seconds and percent.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd


def one_run(root: Path, name: str, overrides: list[str]) -> tuple[float, float]:
    """(mean epoch seconds of epochs 2.., wall seconds) of one ``python -m kexp`` run."""
    run_dir = root / name
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kexp", f"hydra.run.dir={run_dir}", *overrides],
                   check=True, capture_output=True, cwd=root)
    wall = time.perf_counter() - started
    history = pd.read_csv(run_dir / "history.csv")
    return float(history["epoch_seconds"].iloc[1:].mean()), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("overrides", nargs="*", help="added to both runs, e.g. trainer.epochs=5")
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {"csv": [], "csv+mlflow": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        mlflow = ["logger=[csv,mlflow]", f"logger.mlflow.tracking_uri=sqlite:///{root}/mlflow.db"]
        for repeat in range(args.repeats):
            for name, extra in (("csv", []), ("csv+mlflow", mlflow)):
                epoch, wall = one_run(root, f"{name}-{repeat}", [*args.overrides, *extra])
                results[name].append((epoch, wall))
                print(f"{name:11s} run {repeat + 1}: {epoch:.4f} s/epoch, {wall:.1f} s wall", flush=True)
    epoch = {k: statistics.median(e for e, _ in v) for k, v in results.items()}
    wall = {k: statistics.median(w for _, w in v) for k, v in results.items()}
    d_epoch, d_wall = epoch["csv+mlflow"] - epoch["csv"], wall["csv+mlflow"] - wall["csv"]
    print(f"median epoch: csv {epoch['csv']:.4f} s, csv+mlflow {epoch['csv+mlflow']:.4f} s: "
          f"{d_epoch * 1000:+.1f} ms per epoch ({100 * d_epoch / epoch['csv']:+.1f} %)")
    print(f"median wall:  csv {wall['csv']:.1f} s, csv+mlflow {wall['csv+mlflow']:.1f} s: "
          f"{d_wall:+.1f} s per run ({100 * d_wall / wall['csv']:+.1f} %)")


if __name__ == "__main__":
    main()
