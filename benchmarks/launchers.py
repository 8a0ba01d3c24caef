"""A 4-job sweep of the ``mlp``: Hydra's basic launcher vs the Ray launcher on a local Ray cluster.

    python benchmarks/launchers.py [--jobs 4] [--cpus 2] [overrides...]

Side by side in one run: the same sweep (``seed=0..jobs-1``, the default
``model=mlp`` run on digits) with the basic launcher (jobs one after another in
this process's job process) and with ``hydra/launcher=ray`` against a cluster
started here (``ray start --head --num-cpus=CPUS`` on 127.0.0.1; one CPU and
one thread per job, so ``CPUS`` jobs run at once). Prints the wall time of each
sweep, per job, the time the jobs spent training (``train_seconds``), and what
Ray adds per job outside training; the cluster's start is timed apart.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

RAY = str(Path(sys.executable).with_name("ray"))


def sweep(root: Path, name: str, args: list[str]) -> tuple[float, pd.DataFrame]:
    """(wall seconds, summary.csv) of one sweep."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kexp", "-m", *args, f"hydra.sweep.dir={root / name}"],
                   check=True, capture_output=True, cwd=root)
    return time.perf_counter() - started, pd.read_csv(root / name / "summary.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    common = ["model=mlp", f"seed={','.join(map(str, range(args.jobs)))}", *args.overrides]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    subprocess.run([RAY, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                    f"--num-cpus={args.cpus}", "--include-dashboard=false", "--disable-usage-stats"],
                   check=True, capture_output=True)
    ray_start = time.perf_counter() - started
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            basic, basic_runs = sweep(root, "basic", common)
            ray, ray_runs = sweep(root, "ray", [*common, "hydra/launcher=ray",
                                                f"hydra.launcher.ray.init.address=127.0.0.1:{port}"])
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True)
    jobs = args.jobs
    print(f"ray start --head ({args.cpus} CPUs): {ray_start:.1f} s (once per cluster)")
    for name, wall, runs, parallel in (("basic", basic, basic_runs, 1), ("ray", ray, ray_runs, args.cpus)):
        training = runs["train_seconds"].sum()
        print(f"{name:5s}: {jobs} jobs in {wall:.1f} s = {wall / jobs:.2f} s per job; training "
              f"{training:.1f} s in all ({training / jobs:.2f} s per job), {parallel} at a time; "
              f"status {', '.join(runs['status'])}")
    print(f"ray vs basic: wall {ray / basic:.3f}×; per job outside training: basic "
          f"{(basic - basic_runs['train_seconds'].sum()) / jobs:.2f} s, ray "
          f"{(ray * args.cpus - ray_runs['train_seconds'].sum()) / jobs:.2f} s (worker-seconds)")


if __name__ == "__main__":
    main()
