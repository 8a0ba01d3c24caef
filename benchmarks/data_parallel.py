"""``trainer.strategy=data_parallel`` on JAX: step time on N devices vs one, the same global batch.

    python benchmarks/data_parallel.py [--devices 2] [--batch 64] [--epochs 3] [overrides...]

Runs ``python -m kexp`` under ``KERAS_BACKEND=jax`` twice, side by side: one
device with ``trainer.batch_size=BATCH``, and ``trainer.strategy=data_parallel``
over ``--devices`` devices with ``BATCH / devices`` per device (the same global
batch, the same steps). On a CPU machine the devices are faked with
``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (they share the same
cores: this measures the overhead of splitting, not a speed-up); on a GPU
machine leave ``--fake`` off to use the real devices. Prints the median epoch
seconds of epochs 2.. (epoch 1 includes compiling) and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd


def run(root: Path, name: str, env: dict, overrides: list[str]) -> float:
    """The median seconds of epochs 2.. of one run."""
    subprocess.run([sys.executable, "-m", "kexp", f"hydra.run.dir={root / name}", *overrides],
                   check=True, capture_output=True, env=env, cwd=root)
    history = pd.read_csv(root / name / "history.csv")
    return statistics.median(history["epoch_seconds"].iloc[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64, help="the global batch")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--fake", action=argparse.BooleanOptionalAction, default=True,
                        help="fake the devices on the CPU (default); --no-fake on a GPU machine")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    if args.fake:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={args.devices}"
    common = [f"trainer.epochs={args.epochs}", *args.overrides]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        one = run(root, "one", env, [*common, f"trainer.batch_size={args.batch}"])
        many = run(root, "many", env, [*common, "trainer.strategy=data_parallel",
                                       f"trainer.batch_size={args.batch // args.devices}"])
    print(f"1 device, batch {args.batch}: {one:.3f} s per epoch")
    print(f"{args.devices} devices, {args.batch // args.devices} each (global {args.batch}): {many:.3f} s per epoch")
    print(f"ratio {args.devices} devices / 1 device: {many / one:.3f}×"
          + (" (faked devices share this CPU's cores)" if args.fake else ""))


if __name__ == "__main__":
    main()
