"""``python -m kexp.compare`` on a directory of 100 finished runs (goal: under 5 s).

    python benchmarks/compare_speed.py [--runs 100] [--epochs 30]

Makes the runs (small fake histories, a sweep over optimizer x seed), then
times the whole CLI in a fresh process: Python start-up, imports, reading
every run, the summary, both plots and the HTML report.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def make_sweep(root: Path, runs: int, epochs: int) -> None:
    """``runs`` job folders as a kexp sweep writes them."""
    optimizers = ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "nadam", "adamax", "lion", "radam"]
    rng = np.random.default_rng(0)
    for job in range(runs):
        path = root / str(job)
        (path / ".hydra").mkdir(parents=True)
        (path / ".hydra" / "config.yaml").write_text("seed: 0\n")
        overrides = [f"optimizer={optimizers[job % len(optimizers)]}", f"seed={job // len(optimizers)}"]
        (path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
        epoch = np.arange(1, epochs + 1)
        val = 0.9 * (1 - 0.7 ** epoch) + rng.normal(0, 0.01, epochs)
        pd.DataFrame({"epoch": epoch, "accuracy": val + 0.02, "loss": 1 / epoch, "val_accuracy": val,
                      "val_loss": 1.1 / epoch, "learning_rate": 1e-3, "epoch_seconds": 1.0}
                     ).to_csv(path / "history.csv", index=False)
        pd.DataFrame([{"name": "x", "model": "cnn", "optimizer": overrides[0], "parameters": 6511370,
                       "epochs": epochs, "best_val_accuracy": val.max(), "final_val_accuracy": val[-1],
                       "test_accuracy": val[-1], "test_loss": 0.1, "train_seconds": 30.0,
                       "images_per_second": 400.0, "status": "ok"}]).to_csv(path / "metrics.csv", index=False)


def main() -> None:
    """Make the runs, time the compare CLI, print the seconds against the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sweep"
        make_sweep(root, args.runs, args.epochs)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kexp.compare", str(root)], check=True, capture_output=True)
        seconds = time.perf_counter() - started
        rows = len(pd.read_csv(root / "summary.csv"))
    print(f"python -m kexp.compare on {rows} runs x {args.epochs} epochs: {seconds:.2f} s "
          f"(goal < 5 s: {'met' if seconds < 5 else 'NOT met'})")


if __name__ == "__main__":
    main()
