"""P3: the slides' cnn on full MNIST with kexp's defaults until test accuracy >= 99.0 %.

    python benchmarks/time_to_accuracy.py [--epochs 3] [--target 0.99] [--set key=value ...]

Runs the real CLI (``python -m kexp data=mnist data.path=<mnist.npz>
data.val_split=0``): with val_split 0 the per-epoch validation split is the
test split, so ``history.csv`` holds the test accuracy after every epoch.
Prints the first epoch that reaches the target and the training seconds up
to it (``epoch_seconds`` summed), plus the whole run's wall time and peak
resident memory (P4).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

MNIST = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist.npz"


def main() -> None:
    """Run kexp on MNIST and report epochs and seconds to the target accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--data", default=str(MNIST))
    parser.add_argument("--set", nargs="*", default=[], help="extra overrides")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cwd:
        command = [sys.executable, "-m", "kexp", "model=cnn", "data=mnist", f"data.path={args.data}",
                   "data.val_split=0", f"trainer.epochs={args.epochs}", "trainer.save_model=false",
                   "hydra.run.dir=run", *args.set]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(done.stderr[-2000:])
        history = pd.read_csv(Path(cwd) / "run" / "history.csv")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    history["train_seconds"] = history["epoch_seconds"].cumsum()
    print(history[["epoch", "loss", "val_accuracy", "epoch_seconds", "train_seconds"]].to_string(index=False))
    reached = history[history["val_accuracy"] >= args.target]
    if len(reached):
        first = reached.iloc[0]
        print(f"test accuracy >= {args.target:.1%} after epoch {int(first['epoch'])} "
              f"({first['train_seconds']:.0f} s of training)")
    else:
        print(f"test accuracy {args.target:.1%} not reached in {args.epochs} epochs "
              f"(best {history['val_accuracy'].max():.4f})")
    print(f"whole run: {wall:.0f} s wall (TensorFlow import and data loading included), "
          f"peak resident memory {peak_mb:.0f} MB; overrides: {' '.join(args.set) or '(defaults)'}")


if __name__ == "__main__":
    main()
