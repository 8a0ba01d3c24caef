"""Each message once on the terminal: printed by kexp, kept in ``kexp.log`` too.

A run's errors and end-of-run hints are printed as one line on stderr (what a
user reads) and also belong in the run's ``kexp.log``. Through Hydra's job
logging a ``log.error`` reaches the console handler as well, so the terminal
showed every such line twice. :func:`say` prints it and logs a record that the
console handlers drop (:class:`FileOnly`); file handlers keep it.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("kexp")

#: The record attribute that marks a message already printed.
PRINTED = "kexp_printed"


class FileOnly(logging.Filter):
    """Drops records marked :data:`PRINTED` (installed on console handlers only)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, PRINTED, False)


def _console_handlers() -> list[logging.Handler]:
    handlers: list[logging.Handler] = []
    for logger in (logging.getLogger(), log):
        handlers += [
            h
            for h in logger.handlers
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
        ]
    return handlers


def log_to_file(level: int, message: str, *args: object) -> None:
    """A log record for ``kexp.log`` only: the terminal gets its own line from :func:`say`."""
    for handler in _console_handlers():
        if not any(isinstance(f, FileOnly) for f in handler.filters):
            handler.addFilter(FileOnly())
    log.log(level, message, *args, extra={PRINTED: True})


def say(message: str, level: int = logging.ERROR) -> None:
    """``message`` on stderr once, and in the log files (not again on the console)."""
    print(message, file=sys.stderr)
    log_to_file(level, message)
