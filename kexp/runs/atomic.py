"""Files that are whole or absent: written to a temporary file beside the target, then renamed.

A kill (or a full disk) at any moment leaves either the previous file or the
new one, never half of one; :func:`remove_temporaries` clears what a kill left
behind. Every writer of a run's files (tables, text, figures, models) goes
through here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Temporary files of :func:`atomic_path` start with this (a SIGKILL can leave one behind).
TEMPORARY_PREFIX = ".partial."


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMPORARY_PREFIX}{path.name}.", suffix=path.suffix)
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


def save_figure(figure: Figure, path: Path, dpi: int = 100) -> None:
    """Save a matplotlib figure (made with ``matplotlib.figure.Figure``, no pyplot state) as PNG
    at ``path`` atomically — in a sweep's figure helper while the job goes on, when one runs
    (:mod:`kexp.runs.figure_helper`), else here."""
    save_figure_of(_as_made, (figure,), path, dpi)


#: Where figures go to be made and written while this process goes on (a sweep's figure helper
#: sets it, :mod:`kexp.runs.figure_helper`): called with ``(make, args, path, dpi)``, False when it
#: did not take the figure.
figure_taker: Callable[[Callable[..., Figure], tuple, Path, int], bool] | None = None


def save_figure_of(make: Callable[..., Figure], args: tuple, path: Path, dpi: int = 100) -> None:
    """Save the figure ``make(*args)`` as :func:`save_figure` does; handed to a sweep's figure
    helper, the figure is also made there (``make`` a module-level function, ``args`` plain data):
    the job only sends the data."""
    if figure_taker is None or not figure_taker(make, args, path, dpi):
        draw_figure(make(*args), path, dpi)


def _as_made(figure: Figure) -> Figure:
    return figure


def draw_figure(figure: Figure, path: Path, dpi: int = 100) -> None:
    """Render ``figure`` as PNG at ``path`` atomically, in this process."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=dpi, format="png")
