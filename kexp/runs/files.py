"""Write run artifacts atomically: a temporary file renamed into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.csv"
CURVES_FILE = "curves.png"
SUMMARY_FILE = "model.txt"
MODEL_FILE = "model.keras"
PER_CLASS_FILE = "per_class.csv"
CLASSES_FILE = "classes.csv"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


#: Temporary files of :func:`atomic_path` start with this (a SIGKILL can leave one behind).
TEMPORARY_PREFIX = ".partial."


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMPORARY_PREFIX}{path.name}.",
                               suffix=path.suffix)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def remove_temporaries(folder: Path) -> None:
    """Delete what writes killed half-way left in ``folder`` (never a finished file)."""
    for leftover in Path(folder).glob(f"{TEMPORARY_PREFIX}*"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_csv(path: Path, table: pd.DataFrame) -> None:
    """Write a DataFrame (no index) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


#: Width of ``model.txt``: every column of Keras's summary, whatever the terminal.
SUMMARY_WIDTH = 120


def model_summary_text(model, width: int = SUMMARY_WIDTH) -> str:
    """``model.summary()`` as text, ``width`` columns wide: layers, output shapes, parameter counts, totals.

    Keras draws the table with ``rich``, whose console takes its width from
    ``COLUMNS`` (80 when the output is not a terminal) and cuts the table
    there, dropping the ``Param #`` column; ``COLUMNS`` is set for the call.
    """
    chunks: list[str] = []
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        model.summary(print_fn=lambda text, line_break=True: chunks.append(text), line_length=width)
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    return "\n".join(chunks) + "\n"
