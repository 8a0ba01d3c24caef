"""A sweep's figures rendered by a helper process while the next job trains (issue 34 item 6).

Rendering a run's figures (curves, confusion matrix) to PNG takes about 0.4 s of
one core, and in a sweep that Hydra's basic launcher runs in this process the
next job waited for it. Where a second core is free, a job instead hands each
figure — the function that makes it and its data (curves, confusion matrix:
:func:`kexp.runs.atomic.save_figure_of`), or a finished
:class:`~matplotlib.figure.Figure` — pickled (the PNG is the same to the byte) to
one helper process (``python -m kexp.runs.figure_helper``) that makes it and
writes it atomically (:func:`kexp.runs.atomic.draw_figure`) at low priority,
while this process goes on to the next job.

What still holds:

- every figure is on disk before the end-of-sweep callbacks read the sweep
  directory (:class:`kexp.runs.sweep_end.SweepEnd` calls :func:`finish`), before
  a tracker logs a run's files (:func:`wait`) and before this process exits
  (``atexit``); a figure that could not be written is one line naming it, and
  the sweep exits 1 (:class:`kexp.reporting.compare.callback.SweepExitStatus`);
- the helper runs in a session of its own (the terminal's Ctrl-C does not reach it),
  ignores SIGINT and SIGTERM, and ends only when its input closes: a figure handed
  over is written even when this process is stopped or killed;
- a figure that cannot be pickled, or any figure once the helper is gone, is
  rendered here as before.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from kexp.runs import atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger("kexp")

_LENGTH = struct.Struct("!Q")


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame's bytes; None at the end of the stream."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    payload = stream.read(length)
    return payload if len(payload) == length else None


class _Helper:
    """The helper process, what was handed to it, and what it answered."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(  # (its own session: the terminal's Ctrl-C is this process's to handle)
            [sys.executable, "-m", "kexp.runs.figure_helper"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        self.handed = 0
        self.answered = 0
        self.failures: list[str] = []
        self.alive = True
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read_answers, name="kexp-figure-helper", daemon=True)
        self.reader.start()

    def hand_over(self, make: Callable[..., Figure], args: tuple, path: Path, dpi: int) -> bool:
        """Send the figure ``make(*args)`` to the helper; False (nothing sent) when it cannot be pickled
        or the helper is gone."""
        if not self.alive:
            return False
        try:
            payload = pickle.dumps((str(path), make, args, dpi), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # a figure with an unpicklable part (a lambda formatter): rendered here
            return False
        assert self.process.stdin is not None
        with self.changed:
            self.handed += 1
        try:
            _write_frame(self.process.stdin, payload)
        except OSError:  # the helper is gone: this figure is rendered here
            with self.changed:
                self.handed -= 1
            return False
        return True

    def _read_answers(self) -> None:
        assert self.process.stdout is not None
        while (frame := _read_frame(self.process.stdout)) is not None:
            path, error = pickle.loads(frame)
            with self.changed:
                self.answered += 1
                if error is not None:
                    self.failures.append(f"could not write {path}: {error}")
                self.changed.notify_all()
        with self.changed:
            self.alive = False
            self.changed.notify_all()

    def wait(self) -> None:
        """Until the helper has answered for every figure handed over (or has ended)."""
        with self.changed:
            self.changed.wait_for(lambda: self.answered >= self.handed or not self.alive)

    def close(self) -> list[str]:
        """Wait for the figures, end the helper; what could not be written."""
        assert self.process.stdin is not None
        self.wait()
        try:
            self.process.stdin.close()
        except OSError:
            pass
        self.process.wait()
        self.reader.join()
        lost = self.handed - self.answered
        if lost > 0:
            self.failures.append(
                f"the figure helper ended (exit status {self.process.returncode}) before writing {lost} figure(s)"
            )
        return self.failures


_helper: _Helper | None = None


def start() -> None:
    """Start the helper (once) when this machine has a core for it; figures are rendered here otherwise."""
    global _helper
    if _helper is not None:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2:
        return
    try:
        _helper = _Helper()
    except OSError as err:  # (no interpreter to start: the figures are rendered here)
        log.warning("figures are rendered in this process: no helper process (%s)", err)
        return
    atomic.figure_taker = hand_over
    atexit.unregister(finish_at_exit)  # (once, however many sweeps this process runs)
    atexit.register(finish_at_exit)


def hand_over(make: Callable[..., Figure], args: tuple, path: Path, dpi: int) -> bool:
    """Whether the helper took the figure ``make(*args)`` to make and write at ``path`` (False:
    make and render it here)."""
    return _helper is not None and _helper.hand_over(make, args, path, dpi)


def wait() -> None:
    """Until every figure handed over so far is on disk (for a reader of a run's files)."""
    if _helper is not None:
        _helper.wait()


def finish() -> None:
    """Wait for every figure and end the helper (what could not be written: :func:`take_failures`)."""
    global _helper
    helper, _helper = _helper, None
    atomic.figure_taker = None
    if helper is not None:
        _failures.extend(helper.close())


def take_failures() -> list[str]:
    """The figures that could not be written since last asked, one line each."""
    failures = list(_failures)
    _failures.clear()
    return failures


_failures: list[str] = []


def finish_at_exit() -> None:
    """:func:`finish`, each figure that could not be written one line on stderr (at this process's
    exit; a test that runs a command inside its own process calls it where the command ends)."""
    finish()
    for failure in take_failures():
        print(f"kexp: {failure}", file=sys.stderr)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The helper's loop: write each figure that arrives, answer ``(path, error or None)``, until the input ends.

    A thread reads the requests as they come, so a job handing over a large figure never
    waits for the one being rendered."""
    arrived: queue.Queue[bytes | None] = queue.Queue()

    def read_requests() -> None:
        while (frame := _read_frame(requests)) is not None:
            arrived.put(frame)
        arrived.put(None)

    threading.Thread(target=read_requests, daemon=True).start()
    while (frame := arrived.get()) is not None:
        path, error = "a figure", None
        try:
            path, make, args, dpi = pickle.loads(frame)
            atomic.draw_figure(make(*args), Path(path), dpi)
        except Exception as err:  # reported by the sweep (it exits 1), never lost
            error = f"{type(err).__name__}: {err}"
        _write_frame(answers, pickle.dumps((str(path), error)))


def main() -> None:
    """``python -m kexp.runs.figure_helper``: frames of pickled figures on stdin, answers on stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (stopping is the sweep's: what was handed over is written)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if hasattr(os, "nice"):  # (POSIX)
        os.nice(19)  # only the cores training leaves idle
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print cannot corrupt the answers
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
