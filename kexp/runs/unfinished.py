"""The same command again continues: find the unfinished run a plain rerun resumes.

``python -m kexp ARGS``, interrupted (Ctrl-C, SIGTERM, a killed process), then
``python -m kexp ARGS`` again: the second command resumes the newest
unfinished run of the same config under the same output root instead of
training from epoch 1 in a new directory. A run is unfinished when it has a
backup to resume from, or no ``metrics.csv`` at all (killed before it wrote
one); a finished run (ok, diverged or failed) is never picked, so a finished
command run again starts a new run as before. ``resume=never`` always starts
a new run. Two reruns at once both pick the same run, and the second meets its
lock (:class:`kexp.runs.directory.RunLock`), as with ``hydra.run.dir=``.

Nothing here imports Keras: the command line does this before Hydra starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from kexp.config.flat import EXTENSIBLE_KEYS, RunConfig
from kexp.config.renamed import stored_matches
from kexp.runs.directory import is_free, read_stored_config
from kexp.runs.layout import (
    BACKUP_DIR,
    METRICS_FILE,
    MULTIRUN_DIR,
    MULTIRUN_FILE,
    OUTPUT_ROOT,
    STORED_CONFIG,
    completed_epochs,
)

#: The default output root (``conf/config.yaml``'s ``hydra.run.dir`` starts with it).
DEFAULT_ROOT = OUTPUT_ROOT
#: How deep run directories lie under the root: ``outputs/<date>/<time>_<overrides>``.
MAX_DEPTH = 3


def output_root(overrides: list[str]) -> Path:
    """The directory above the parts of ``hydra.run.dir`` that change per run (``outputs``)."""
    template = next((o.split("=", 1)[1] for o in overrides if o.startswith("hydra.run.dir=")), DEFAULT_ROOT + "/${")
    fixed = template.split("${")[0]
    return Path(fixed) if fixed.endswith("/") else Path(fixed).parent


def candidate_dirs(root: Path) -> Iterator[Path]:
    """Directories under ``root`` (at most :data:`MAX_DEPTH` down) that hold a stored config,
    outside sweeps (a sweep has its own "same command again")."""
    if not root.is_dir():
        return
    for depth in range(1, MAX_DEPTH + 1):
        for stored in root.glob("/".join(["*"] * depth) + "/" + STORED_CONFIG):
            run_dir = stored.parent.parent
            if MULTIRUN_DIR not in run_dir.relative_to(root).parts and not (run_dir.parent / MULTIRUN_FILE).exists():
                yield run_dir


def is_unfinished(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a run that a rerun would continue (a backup, or no end recorded)."""
    return (run_dir / BACKUP_DIR).is_dir() or not (run_dir / METRICS_FILE).is_file()


def same_config(
    current: dict[str, object], run_dir: Path, growable: frozenset[str] | set[str] = frozenset(EXTENSIBLE_KEYS)
) -> bool:
    """Whether the run's stored config equals ``current`` (free keys aside; epochs, and the
    ``growable`` keys that follow them, may change while they stay ≥ the epochs trained)."""
    try:
        stored = read_stored_config(run_dir)
    except (OSError, yaml.YAMLError):
        return False
    for key in set(stored) | set(current):
        if is_free(key):
            continue
        now = current.get(key, "<absent>")
        if stored_matches(stored, key, now):
            continue
        done = completed_epochs(run_dir / BACKUP_DIR)
        if not (key in growable and isinstance(now, int) and now >= done):
            return False
    return True


def find_unfinished_run(run_config: RunConfig, overrides: list[str]) -> Path | None:
    """The newest unfinished run of ``run_config`` under the command's output root; None for a new run.

    None also when the command names its run directory (``hydra.run.dir=DIR``
    that exists: Hydra reruns it as given) or says ``resume=never``.
    """
    if run_config.resume == "never":
        return None
    given = next((o.split("=", 1)[1] for o in overrides if o.startswith("hydra.run.dir=")), None)
    if given is not None and "${" not in given:
        return None
    current, growable = run_config.values, run_config.growable
    found = [
        d for d in candidate_dirs(output_root(overrides)) if is_unfinished(d) and same_config(current, d, growable)
    ]
    return max(found, key=lambda d: (d / STORED_CONFIG).stat().st_mtime, default=None)
