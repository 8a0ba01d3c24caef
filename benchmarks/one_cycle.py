"""``schedule=one_cycle`` vs the default (constant) schedule: epochs to a test accuracy, side by side.

    python benchmarks/one_cycle.py [--epochs 3] [--target 0.99] [--peak find|RATE] [--set ...]

The slides' cnn on full MNIST (``../shared/data/mnist.npz``; ``data.val_split=0``
so each epoch's validation is the test split). The one-cycle peak is the range
test's suggestion on the same data (``--peak find``, the default) or a given
rate; the default run keeps its preset rate. Prints each run's test accuracy per
epoch and the first epoch at the target.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

MNIST = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist.npz"


def run(module: str, args: list[str], cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"python -m {module} {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--peak", default="find")
    parser.add_argument("--data", default=str(MNIST))
    parser.add_argument("--set", nargs="*", default=[])
    args = parser.parse_args()
    base = ["model=cnn", "data=mnist", f"data.path={args.data}", "data.val_split=0", f"trainer.epochs={args.epochs}",
            "trainer.save_model=false", *args.set]
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        peak = args.peak
        if peak == "find":
            run("kexp.lr_find", [*base, "--out", "find"], cwd)
            found = yaml.safe_load((cwd / "find" / "lr_find.yaml").read_text())
            peak = f"{found['suggestion']:.3g}"
            print(f"range test on MNIST: suggestion {peak} (spread {found['spread']:.2f}x)")
        runs = {"default": [], "one_cycle": ["schedule=one_cycle", f"optimizer.learning_rate={peak}"]}
        for name, extra in runs.items():
            run("kexp", [*base, *extra, f"hydra.run.dir={name}"], cwd)
            history = pd.read_csv(cwd / name / "history.csv")
            reached = history[history["val_accuracy"] >= args.target]
            when = f"epoch {int(reached['epoch'].iloc[0])}" if len(reached) else f"not in {args.epochs} epochs"
            accuracies = ", ".join(f"{a:.4f}" for a in history["val_accuracy"])
            print(f"{name:9s}: test accuracy per epoch {accuracies}; {args.target:.1%} reached: {when}; "
                  f"{history['epoch_seconds'].sum():.1f} s of training", flush=True)


if __name__ == "__main__":
    main()
