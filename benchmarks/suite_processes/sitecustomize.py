"""Log every Python process a test starts: its test, CPU seconds, whether it imported Keras/TensorFlow.

Python imports ``sitecustomize`` from ``PYTHONPATH`` at start-up; a process started while a test
runs inherits ``PYTEST_CURRENT_TEST`` from the worker. Run the suite as

    PYTHONPATH=benchmarks/suite_processes KEXP_PROCESS_LOG=/tmp/processes.tsv python -m pytest
    python benchmarks/suite_processes/summary.py /tmp/processes.tsv

Processes started with a ``PYTHONPATH`` of their own (``tests.conftest.kexp_with``) or killed
(no ``atexit``) are not logged: the counts are floors. (docs/performance.md, session 21)
"""

import atexit
import os
import resource
import sys
import time

_TEST = os.environ.get("PYTEST_CURRENT_TEST")
_LOG = os.environ.get("KEXP_PROCESS_LOG")
_STARTED = time.time()


def _log() -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    row = [_TEST, str(os.getpid()), f"{time.time() - _STARTED:.1f}", f"{used.ru_utime + used.ru_stime:.1f}",
           str("keras" in sys.modules), str("tensorflow" in sys.modules), " ".join(sys.argv)[:200]]
    with open(_LOG, "a") as log:
        log.write("\t".join(row) + "\n")


if _TEST and _LOG:
    atexit.register(_log)
