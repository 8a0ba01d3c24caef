"""Run ``python -m kexp`` for the notebook API: a process per call, its output streamed, its lines read.

Each call runs the command line in a new Python process rather than in the
notebook's kernel: the run is exactly what the CLI would do (the same configs,
run directories, preflight, exit codes), nothing of Hydra's global state or of
Keras's (the backend is fixed once per process, sessions and seeds are global)
carries from one call to the next, and a crash of TensorFlow cannot take the
kernel down. Interrupting the cell (Jupyter's stop button) interrupts the run
the way Ctrl-C does: it stops after the current batch and can be resumed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kexp.config.errors import KexpError

#: A line kexp prints for every run it finishes (or skips as finished).
RUN_DIRECTORY = re.compile(r"^kexp: run directory (.+?)(?: \(already finished ok; skipped\))?$")
#: kexp's one-line errors on stderr.
ONE_LINE_ERROR = re.compile(r"^kexp: \w[\w ]* error: ")
#: The log lines shown as progress: one per epoch, and what a run says before training.
PROGRESS = re.compile(r"\[kexp\]\[\w+\] - (.*)$")


class ReportedError(KexpError):
    """A kexp error reported by the command line: ``str()`` and :meth:`one_line` are its exact line."""

    def one_line(self) -> str:
        return str(self)


@dataclass
class Finished:
    """What one ``python -m kexp`` process did."""

    returncode: int
    run_dirs: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def launch(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, progress: bool = True):
    """Run ``python -m kexp ARGS``; raise :class:`ReportedError` for a kexp error line, else what it did."""
    environment = {**os.environ, **(env or {})}
    environment.pop("HYDRA_FULL_ERROR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "kexp", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    finished = Finished(returncode=-1)
    try:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            finished.lines.append(line)
            shown = _progress_text(line)
            if progress and shown:
                print(shown, flush=True)
            match = RUN_DIRECTORY.match(line)
            if match:
                finished.run_dirs.append(Path(cwd or ".", match.group(1)).resolve())
        finished.returncode = process.wait()
    except KeyboardInterrupt:  # the cell was stopped: stop the run as Ctrl-C would, then stop the cell
        process.send_signal(signal.SIGINT)
        process.wait()
        raise
    errors = [line for line in finished.lines if ONE_LINE_ERROR.match(line)]
    if finished.returncode == 2 and errors:
        raise ReportedError(errors[-1])
    if finished.returncode not in (0, 1, 3) or not finished.run_dirs:
        tail = "\n".join(finished.lines[-15:])
        raise RuntimeError(f"python -m kexp {' '.join(args)} ended with exit status {finished.returncode}:\n{tail}")
    return finished


def _progress_text(line: str) -> str:
    """The part of a line worth showing in a notebook ("" for the rest)."""
    match = PROGRESS.search(line)
    if match:
        return match.group(1)
    if line.startswith("kexp: ") and not ONE_LINE_ERROR.match(line):
        return line
    return ""
