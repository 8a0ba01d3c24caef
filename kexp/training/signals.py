"""Ctrl-C and SIGTERM for a whole job: stop cleanly at any moment, resumable.

While a job runs, :class:`SignalGuard` owns SIGINT and SIGTERM. Outside
training (loading data, building, evaluating, saving) a signal raises
:class:`TrainingInterrupted` at once: every artifact is written atomically, so
what stops half-way leaves no half-written file, and the backup of the
training stays until the run's last file is written. Inside ``fit`` the stop
waits for the next batch boundary (:class:`kexp.training.callbacks.StopOnSignal`), so
the epoch in flight is dropped and a rerun repeats exactly that epoch. A
second Ctrl-C while waiting stops at once.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("kexp")

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(Exception):
    """A job stopped by SIGINT/SIGTERM; the run can be continued by running it again."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


class SignalGuard:
    """Turns SIGINT/SIGTERM into :class:`TrainingInterrupted` (at once, or deferred to a batch start)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.deferred = False
        self._previous: dict[int, Any] = {}

    def install(self) -> SignalGuard:
        """Take over the signals (main thread only; elsewhere signals stay as they are)."""
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in SIGNALS}
        return self

    def restore(self) -> None:
        """Give the signals back to their previous handlers."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, frame) -> None:
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signum
        if self.deferred:
            log.warning("%s received: stopping after the current batch", signal.Signals(signum).name)
            return
        log.warning("%s received: stopping", signal.Signals(signum).name)
        raise TrainingInterrupted(signum)

    def check(self) -> None:
        """Raise :class:`TrainingInterrupted` if a signal arrived while the stop was deferred."""
        if self.received is not None:
            raise TrainingInterrupted(self.received)


_active: SignalGuard | None = None


@contextlib.contextmanager
def guarded() -> Iterator[SignalGuard]:
    """The job's guard: the one already active, or a new one installed for the block."""
    global _active
    if _active is not None:
        yield _active
        return
    _active = SignalGuard().install()
    try:
        yield _active
    finally:
        _active.restore()
        _active = None
