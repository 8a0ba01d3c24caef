"""The range test on the default run: its suggestion over seeds, and training with it vs the preset rate.

    python benchmarks/lr_find.py [--seeds 0 1 2] [--set key=value ...]

1. ``python -m kexp.lr_find seed=S`` for each seed (each itself 3 repeats):
   the suggestions and their spread (largest ÷ smallest);
2. ``python -m kexp seed=S`` trained with the median suggestion and with the
   preset ``optimizer.learning_rate``, side by side for each seed: test
   accuracy of each, and the means.
Runs the real command lines in a temporary directory.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml


def kexp(module: str, args: list[str], cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"python -m {module} {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", nargs="*", default=[], help="extra overrides for every run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        found = {}
        for seed in args.seeds:
            kexp("kexp.lr_find", [f"seed={seed}", *args.set, "--out", f"find-{seed}"], cwd)
            summary = yaml.safe_load((cwd / f"find-{seed}" / "lr_find.yaml").read_text())
            found[seed] = summary["suggestion"]
            print(f"seed {seed}: suggestion {summary['suggestion']:.3g} (its repeats: "
                  f"{', '.join(f'{s:.3g}' for s in summary['suggestions'])}; spread {summary['spread']:.2f}x)",
                  flush=True)
        rate = statistics.median(found.values())
        print(f"over seeds: median {rate:.3g}, spread {max(found.values()) / min(found.values()):.2f}x")
        rows = []
        for seed in args.seeds:
            for label, lr in (("preset", None), ("suggested", rate)):
                name = f"{label}-{seed}"
                extra = [] if lr is None else [f"optimizer.learning_rate={lr}"]
                kexp("kexp", [f"seed={seed}", *args.set, *extra, f"hydra.run.dir={name}"], cwd)
                row = pd.read_csv(cwd / name / "metrics.csv").iloc[0]
                rows.append({"seed": seed, "rate": label, "test_accuracy": row["test_accuracy"],
                             "best_val_accuracy": row["best_val_accuracy"]})
                print(f"seed {seed} {label:9s}: test_accuracy {row['test_accuracy']:.4f}", flush=True)
        table = pd.DataFrame(rows).pivot(index="seed", columns="rate", values="test_accuracy")
        print(table.to_string())
        print(f"mean test accuracy: preset {table['preset'].mean():.4f}, suggested {table['suggested'].mean():.4f} "
              f"(difference {table['suggested'].mean() - table['preset'].mean():+.4f})")


if __name__ == "__main__":
    main()
