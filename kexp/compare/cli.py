"""``python -m kexp.compare PATH [PATH ...] [--metric auto] [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import kexp.cli  # noqa: F401  (TensorFlow's start-up lines hidden, as for every kexp command)


def main(argv: list[str] | None = None) -> int:
    """Compare the runs under the given run or sweep directories."""
    parser = argparse.ArgumentParser(
        prog="python -m kexp.compare",
        description="Compare kexp runs: summary.csv, summary.md, compare_accuracy.png, "
        "compare_loss.png and report.html.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="run directories or sweep directories (mixed)")
    parser.add_argument(
        "--metric",
        default="auto",
        help="rank by this result column of the summary (val_accuracy = best validation accuracy, val_loss, "
        "test_accuracy, ...); default auto: the runs' objective (val_accuracy, or val_loss for regression)",
    )
    parser.add_argument("--out", type=Path, help="where to write (default: the first PATH)")
    args = parser.parse_intermixed_args(argv)
    from kexp.reporting.compare import compare

    out = args.out or args.paths[0]
    if out.exists() and not out.is_dir():
        print(f"kexp.compare: --out {out}: not a directory", file=sys.stderr)
        return 2
    try:
        written = compare(args.paths, out, args.metric)
    except (FileNotFoundError, NotADirectoryError, ValueError) as err:
        print(f"kexp.compare: {err}", file=sys.stderr)
        return 2
    for path in written.values():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
