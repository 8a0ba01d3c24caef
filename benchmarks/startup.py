"""P2: the CLI is instant. Median wall time of 5 runs of each command, side by side.

    python benchmarks/startup.py [--repeats 5]

Prints ``python -m kexp --help``, ``python -m kexp --cfg job``, Hydra's own
``--help`` for the same app (what kexp/cli/help.py replaces: Hydra formats all
of its own config groups too) and, for scale, ``python -c "import tensorflow"``
(what the CLI would pay if it imported TensorFlow at start-up), with the ratio
of each to the TensorFlow import.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "python -m kexp --help": [sys.executable, "-m", "kexp", "--help"],
    "python -m kexp --cfg job": [sys.executable, "-m", "kexp", "--cfg", "job"],
    "Hydra's own --help (same app)": [
        sys.executable, "-c", "import sys; sys.argv = ['kexp', '--help']\n"
        "from kexp.cli.main import hydra_main, register_resolvers\nregister_resolvers(); hydra_main()"],
    "python -c 'import tensorflow'": [sys.executable, "-c", "import tensorflow"],
}


def median_seconds(command: list[str], repeats: int, cwd: str) -> float:
    """Median wall time of ``repeats`` runs (after one warm-up run)."""
    subprocess.run(command, cwd=cwd, capture_output=True, check=True)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Measure every command in turn and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cwd:
        results = {name: median_seconds(cmd, args.repeats, cwd) for name, cmd in COMMANDS.items()}
    tensorflow = results["python -c 'import tensorflow'"]
    print(f"{'command':34s} {'median s':>9s} {'vs TF import':>13s}")
    for name, seconds in results.items():
        print(f"{name:34s} {seconds:9.3f} {seconds / tensorflow:12.2f}x")
    goal = max(results["python -m kexp --help"], results["python -m kexp --cfg job"])
    print(f"goal: both kexp commands <= 0.5 s: {'met' if goal <= 0.5 else 'NOT met'} ({goal:.3f} s)")


if __name__ == "__main__":
    main()
