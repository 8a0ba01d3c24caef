"""A pytest plugin: the CPU seconds of each test (its worker's own and those of the processes it waited
for, from ``getrusage``), one tab-separated line per test in ``$CPU_PER_TEST_LOG``.

    PYTHONPATH=benchmarks/suite_processes CPU_PER_TEST_LOG=/tmp/cpu.tsv python -m pytest -p cpu_per_test
    python benchmarks/suite_processes/cpu_per_test.py /tmp/cpu.tsv     # per file, then the costliest tests

Pytest's ``--durations`` are wall seconds: with more workers than cores they say how long a test
waited, not what it cost (docs/performance.md, session 22)."""

from __future__ import annotations

import os
import resource
import sys
import time

import pytest


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    (own, children), wall = _cpu(), time.monotonic()
    yield
    (own_after, children_after), wall_after = _cpu(), time.monotonic()
    with open(os.environ.get("CPU_PER_TEST_LOG", "cpu-per-test.tsv"), "a") as log:
        log.write(f"{item.nodeid}\t{own_after - own:.2f}\t{children_after - children:.2f}\t{wall_after - wall:.2f}\n")


def summary(path: str) -> None:
    """Print the CPU seconds per test file, then the 25 costliest tests."""
    import pandas as pd

    log = pd.read_csv(path, sep="\t", names=["test", "own_s", "children_s", "wall_s"], quoting=3)
    log["cpu_s"] = log["own_s"] + log["children_s"]
    log["file"] = log["test"].str.split("::").str[0]
    per_file = log.groupby("file")[["cpu_s", "own_s", "children_s", "wall_s"]].sum()
    print(per_file.sort_values("cpu_s", ascending=False).round(1).to_string())
    print(log.nlargest(25, "cpu_s")[["cpu_s", "wall_s", "test"]].round(1).to_string(index=False))
    print(f"\n{len(log)} tests, {log['cpu_s'].sum():.0f} CPU s ({log['own_s'].sum():.0f} in the workers)")


if __name__ == "__main__":
    summary(sys.argv[1])
