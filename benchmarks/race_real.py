"""A race against the full grid on real runs, side by side in one run.

    python benchmarks/race_real.py [--max-seeds 8] [--grid spread|tied]

``spread``: the slides' ``mlp`` on the bundled digits (1,000 training images, 3 epochs) at four
learning rates whose accuracies are spread, the best two close (3e-3, 3e-4). ``steps``: one
clearly best (3e-4), the others worse in steps (3e-5, 1e-5, 3e-6). ``near``: two learning rates
a little apart (8e-4, 1e-3). ``tied``: two configurations that train the same (``name=a,b``:
only the run's name differs), the case a race cannot shorten much. Each grid
runs twice, in its own sweep directory: every configuration on seeds 0 .. max_seeds-1 (the
full grid), and ``hydra/sweeper=race`` with the same ``max_seeds``. Printed: the full grid's
best configuration (by mean validation accuracy over its seeds), what the race says, the runs
and the wall time of each.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

COMMON = ["model=mlp", "data.train_size=1000", "data.test_size=200", "trainer.epochs=3", "trainer.save_model=false"]
GRIDS = {
    # four learning rates two of which (3e-3, 3e-4) the seeds hardly tell apart
    "spread": ["optimizer.learning_rate=0.003,0.0003,0.00003,0.000003"],
    # one clearly best (3e-4), the others worse in steps
    "steps": ["optimizer.learning_rate=0.0003,0.00003,0.00001,0.000003"],
    # a grid whose runs the seed alone decides: the learning rate 0.0008 and 0.001 of the same net
    "near": ["optimizer.learning_rate=0.0008,0.001"],
    "tied": ["name=a,b"],
}


def kexp(args: list[str], cwd: Path) -> float:
    """Run ``python -m kexp ARGS`` in ``cwd``; its wall seconds (an error stops the benchmark)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kexp", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-seeds", type=int, default=8)
    parser.add_argument("--grid", choices=sorted(GRIDS), default="spread")
    args = parser.parse_args()
    grid = GRIDS[args.grid]
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        seeds = ",".join(map(str, range(args.max_seeds)))
        full_seconds = kexp(["-m", *grid, *COMMON, f"seed={seeds}", "hydra.sweep.dir=full"], cwd)
        race_seconds = kexp(
            [
                "-m",
                *grid,
                *COMMON,
                "hydra/sweeper=race",
                f"hydra.sweeper.max_seeds={args.max_seeds}",
                "hydra.sweep.dir=race",
            ],
            cwd,
        )
        table = pd.read_csv(cwd / "full" / "summary.csv")
        keys = [part.split("=", 1)[0] for part in grid if "," in part.split("=", 1)[1]]
        means = table.groupby(keys)["best_val_accuracy"].agg(["mean", "std", "count"]).sort_values("mean")
        race = yaml.safe_load((cwd / "race" / "race.yaml").read_text())
        print(f"grid {args.grid}: {' '.join(grid)}, max_seeds {args.max_seeds}")
        print("full grid, best_val_accuracy over seeds (worst first):")
        print(means.to_string())
        best = ",".join(f"{k}={v}" for k, v in zip(keys, means.index[-1] if len(keys) > 1 else [means.index[-1]]))
        print(f"full grid: best {best}; {len(table)} runs, {full_seconds:.0f} s")
        print(
            f"race: {race['verdict']} after {race['seeds']} seeds; left {race['left']}; "
            f"{race['runs']} runs of {race['full_grid_runs']} ({race['runs'] / race['full_grid_runs']:.2f}), "
            f"{race_seconds:.0f} s ({race_seconds / full_seconds:.2f} of the full grid's time)"
        )
        print(pd.read_csv(cwd / "race" / "race.csv").to_string())


if __name__ == "__main__":
    main()
