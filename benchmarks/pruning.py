"""Pruning: the same search with and without a pruner, side by side in one run.

    python benchmarks/pruning.py [--trials 24] [--epochs 10] [--pruners none,median,hyperband]

Each search: ``hparams_search=optuna`` on the bundled digits (the default cnn),
``optimizer.learning_rate`` over ``tag(log, interval(1e-6, 1e-1))`` and nothing
else, ``trainer.epochs`` epochs, one seed (the same sampler seed, so the first
trials are the same draws), its own SQLite study. Printed per pruner: the epochs
trained in all (from each run's metrics.csv), the wall time, the best validation
accuracy found, and the ratios to the search without a pruner. The issue's goal:
at most half the epochs, the best within 0.5 points.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

OPTIONS = {  # Optuna's defaults, but for the median pruner's warm-up (two epochs seen before judging)
    "none": [],
    "median": [
        "hparams_search.pruner=median",
        "hparams_search.pruner_options={n_startup_trials: 5, n_warmup_steps: 2}",
    ],
    "hyperband": ["hparams_search.pruner=hyperband"],
}


def search(pruner: str, trials: int, epochs: int, cwd: Path) -> dict[str, float]:
    """Run one search; its epochs, wall seconds, best validation accuracy and pruned trials."""
    sweep = cwd / pruner
    command = [
        sys.executable,
        "-m",
        "kexp",
        "-m",
        "hparams_search=optuna",
        "hydra.sweeper.params=null",
        "optimizer.learning_rate=tag(log, interval(0.000001, 0.1))",
        f"trainer.epochs={epochs}",
        f"hydra.sweeper.n_trials={trials}",
        "trainer.save_model=false",
        f"hydra.sweep.dir={sweep}",
        f"hparams_search.storage=sqlite:///{cwd / pruner}.db",
        *OPTIONS[pruner],
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    summary = pd.read_csv(sweep / "summary.csv")
    study = pd.read_csv(sweep / "study.csv")
    return {
        "epochs": float(summary["epochs"].sum()),
        "seconds": seconds,
        "best_val_accuracy": float(study.loc[study["state"] == "COMPLETE", "value"].max()),
        "pruned": float((study["state"] == "PRUNED").sum()),
    }


def main() -> None:
    """Run every search in turn and print the table with the ratios to ``none``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--pruners", default="none,median,hyperband")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {p: search(p, args.trials, args.epochs, Path(folder)) for p in args.pruners.split(",")}
    base = results["none"]
    print(f"{args.trials} trials x {args.epochs} epochs on digits, learning rate over 1e-6 … 1e-1 (log)")
    print(
        f"{'pruner':10s} {'pruned':>6s} {'epochs':>7s} {'ratio':>6s} {'wall s':>7s} {'ratio':>6s} {'best val':>8s} {'diff':>7s}"
    )
    for name, r in results.items():
        print(
            f"{name:10s} {r['pruned']:6.0f} {r['epochs']:7.0f} {r['epochs'] / base['epochs']:6.2f} {r['seconds']:7.1f} "
            f"{r['seconds'] / base['seconds']:6.2f} {r['best_val_accuracy']:8.4f} "
            f"{100 * (r['best_val_accuracy'] - base['best_val_accuracy']):+6.2f}pt"
        )
    for name, r in results.items():
        if name != "none":
            met = r["epochs"] <= base["epochs"] / 2 and abs(r["best_val_accuracy"] - base["best_val_accuracy"]) <= 0.005
            print(f"goal ({name}): at most half the epochs, best within 0.5 points: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
