"""The ``logger`` config group: where a run is logged besides its own files.

``logger=[csv,mlflow,tensorboard]`` picks several; each entry is a node under
``logger`` (``conf/logger/<name>.yaml``) and a module here registering one
:class:`RunLogger` subclass with ``@LOGGERS.register("<name>")``: its
:meth:`RunLogger.check` gets its section (``logger.<name>``) in validation (a
missing package is a one-line error before anything runs), :meth:`RunLogger.open`
its section, the run (:class:`TrackedRun`: its name and its resolved config as
flat params) and the run directory; the logger gives Keras callbacks for training, and
:meth:`RunLogger.end` gets the run's status (and record) once the run's files
are written. ``csv`` names the run
directory's files, which kexp always writes (resume and comparison read them).

Loggers open after the data and model are ready (a user error before that
leaves nothing in a tracking store) and close with the run's status whichever
way it ends: ok, diverged, failed, interrupted (resumable: the next start
continues the same tracked run).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kexp.config.registry import Registry

log = logging.getLogger("kexp")

#: The entry that stands for the run directory's files (always written).
FILES = "csv"


@dataclass(frozen=True)
class TrackedRun:
    """What a tracker records of a run besides its files: its name and its resolved config
    (``{"model.name": "cnn", ...}``)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


class RunLogger:
    """One logger of one run. Subclasses override what they use."""

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        """Raise a one-line ConfigError when this logger cannot run here (e.g. a package is missing);
        ``options``: its section, ``logger.<name>``."""

    @classmethod
    def open(cls, options: Mapping[str, Any], run: TrackedRun, run_dir: Path) -> RunLogger:
        """Start logging ``run`` in ``run_dir``, as ``options`` (``logger.<name>``) say."""
        return cls()

    def callbacks(self) -> list:
        """Keras callbacks for ``fit`` (run with the configured ones, before history.csv is written)."""
        return []

    def end(self, status: str, record=None) -> None:
        """The run ended with ``status`` (ok, diverged, failed, interrupted); ``record`` when one was written."""


LOGGERS: Registry[type[RunLogger]] = Registry("logger", "kexp.loggers")


def chosen_loggers(sections: Mapping[str, Any] | None) -> list[str]:
    """The loggers the ``logger`` node (its sections by name) asks for, the files entry left out."""
    return [str(name) for name in (sections or {}) if name != FILES]


def check_loggers(sections: Mapping[str, Any] | None) -> None:
    """Each chosen logger is known and can run here; a one-line ConfigError otherwise."""
    for name in chosen_loggers(sections):
        LOGGERS.get(name).check(sections[name] or {})  # type: ignore[index]


class RunLoggers:
    """The loggers of one run, used together."""

    def __init__(self, loggers: list[RunLogger]) -> None:
        self.loggers = loggers

    def callbacks(self) -> list:
        """Every logger's Keras callbacks."""
        return [callback for logger in self.loggers for callback in logger.callbacks()]

    def end(self, status: str, record=None) -> None:
        """Tell every logger how the run ended; one logger's failure does not stop the others."""
        for logger in self.loggers:
            try:
                logger.end(status, record)
            except Exception:  # a tracking server gone away must not fail a finished run
                log.exception("logger %s could not record the end of the run", type(logger).__name__)


@contextlib.contextmanager
def open_loggers(
    sections: Mapping[str, Any], run: TrackedRun, run_dir: Path, enabled: bool = True
) -> Iterator[RunLoggers]:
    """Open the loggers of ``sections`` (``logger``'s) for ``run``; on an exception (other than an
    interruption) end them as failed.

    ``enabled=False`` (processes 1.. of a multi-process run) opens none.

    The body calls :meth:`RunLoggers.end` with the record when the run wrote one
    (an interrupted run too, before it lets the interruption through).
    """
    from kexp.training.signals import TrainingInterrupted

    opened = RunLoggers([])
    try:
        for name in chosen_loggers(sections) if enabled else []:
            opened.loggers.append(LOGGERS.get(name).open(sections[name] or {}, run, run_dir))
        yield opened
    except TrainingInterrupted:  # (the body has ended the loggers with the interrupted record)
        raise
    except BaseException:
        opened.end("failed")
        raise
