"""Run directories: a name of their own, one live process each, one config each.

- :func:`claim_directory` (the ``kexp_claim`` resolver in ``conf/config.yaml``)
  creates the run or sweep directory with ``os.mkdir``, which fails when the
  directory exists, and adds ``-2``, ``-3``, ... until it gets a new one: two
  runs started in the same second with the same overrides (a shell loop, a job
  array) never share a directory.
- :class:`RunLock` holds ``.kexp/lock`` (``fcntl.flock``) for the whole run:
  a second process pointed at a directory in use (``hydra.run.dir=...``) is
  refused with the process that holds it.
- :func:`check_same_config` compares the config of a rerun into an existing
  directory with the one its first start stored in ``.kexp/config.yaml``
  (Hydra rewrites ``.hydra/`` at every start): a resume must not silently
  continue with other values. Raising ``trainer.epochs`` is allowed.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import yaml

from kexp.config.errors import ConfigError
from kexp.config.flat import RunConfig
from kexp.config.renamed import current_names, stored_matches
from kexp.runs.layout import BACKUP_DIR, LOCK_FILE, STORED_CONFIG, completed_epochs

log = logging.getLogger("kexp")

#: Keys that may differ between the first start of a run and its rerun (trainer.steps_per_execution:
#: the same batches and updates whatever it is, tests/training/test_execution.py).
FREE_KEYS = ("trainer.verbose", "trainer.steps_per_execution", "resume", "hparams_search.trial")
#: Prefixes of keys that may differ too: a search's settings (its budget, pruner, heartbeat, the trial a
#: retry gives the run) do not change what a trial's run trains.
FREE_PREFIXES = ("hparams_search.",)


def is_free(key: str) -> bool:
    """Whether ``key`` may differ between a run's first start and its rerun."""
    return key in FREE_KEYS or key.startswith(FREE_PREFIXES)


#: Keys that keep a run's books, never part of its configuration (a comparison leaves them out).
BOOKKEEPING_KEYS = ("resume", "hparams_search.trial")


def is_bookkeeping(key: str) -> bool:
    """Whether an override ``key`` keeps books rather than choosing what a run trains: the keys
    above and a search's own settings (the study's name and storage the sweeper gives each
    trial, the ones a confirmation run resets): a comparison groups runs without them."""
    return key in BOOKKEEPING_KEYS or key.startswith(FREE_PREFIXES)


_claimed: dict[str, str] = {}
_held: dict[Path, RunLock] = {}


def new_directory(path: Path, key: str = "hydra.run.dir", what: str = "the run directory") -> Path:
    """Create ``path`` (or ``path-2``, ``-3``, ...) as a new directory with ``os.mkdir`` and return it.

    ``mkdir`` fails when the directory exists, so of two processes asking for the
    same name at the same moment each gets its own. ``key`` names the setting in
    the one-line error when nothing can be created there.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 10_000):
            candidate = path if attempt == 1 else path.with_name(f"{path.name}-{attempt}")
            try:
                candidate.mkdir()
            except FileExistsError:
                continue
            return candidate
    except OSError as err:  # permissions, a read-only or special file system, a full disk
        raise ConfigError(f"{key}={path} — cannot create {what}: {(err.strerror or str(err)).lower()}") from err
    raise ConfigError(f"{key}={path} — could not create a new directory beside it")


def claim_directory(candidate: str) -> str:
    """The ``kexp_claim`` resolver: :func:`new_directory` for a run or sweep directory, absolute.

    Idempotent within a process: Hydra may resolve the directory more than once.
    (Absolute: jobs may run where the working directory is another, as Ray's workers do.)
    """
    if candidate not in _claimed:
        _claimed[candidate] = str(new_directory(Path(candidate)).absolute())
    return _claimed[candidate]


def open_locked(path: Path, wait: bool = True) -> IO[str] | None:
    """``path`` (created) opened with an exclusive ``flock``; None when another holds it and not ``wait``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 — the caller closes it
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        handle.close()
        return None
    return handle


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` for the duration of the block (waits for it)."""
    handle = open_locked(path)
    assert handle is not None
    try:
        yield
    finally:
        handle.close()


class RunLock:
    """An exclusive lock on a run directory, held until :meth:`release` or process exit."""

    def __init__(self, run_dir: Path, handle) -> None:
        self.run_dir = run_dir
        self._handle = handle

    @classmethod
    def acquire(cls, run_dir: Path, key: str = "hydra.run.dir") -> RunLock:
        """Lock ``run_dir`` for this process (again: the lock it holds); ConfigError if another holds it."""
        run_dir = Path(run_dir).resolve()
        if run_dir in _held:
            return _held[run_dir]
        handle = open_locked(run_dir / LOCK_FILE, wait=False)
        if handle is None:
            holder = (run_dir / LOCK_FILE).read_text(encoding="utf-8").strip() or "another process"
            raise ConfigError(
                f"{key}={run_dir} — in use by {holder}; wait for it to end or choose another directory"
                + ("" if key != "hydra.run.dir" else " (resume=never starts a new run)")
            )
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        lock = cls(run_dir, handle)
        _held[run_dir] = lock
        return lock

    def release(self) -> None:
        """Let other processes use the directory."""
        _held.pop(self.run_dir, None)
        if not self._handle.closed:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()


def lock_given_run_dir(overrides: list[str]) -> None:
    """Lock an existing ``hydra.run.dir=DIR`` of the command line before Hydra rewrites its files."""
    if (given := given_run_dir(overrides)) is not None:
        RunLock.acquire(given)


def check_rerun(run_config: RunConfig, run_dir: Path) -> bool:
    """Check a (re)run's config against the directory's; True when the run there already finished ok."""
    from kexp.runs.record import RunRecord

    backup = Path(run_dir) / BACKUP_DIR
    earlier = RunRecord.read(run_dir)
    finished = earlier is not None and earlier.evaluated and not backup.exists()
    check_same_config(run_config, run_dir, completed_epochs(backup), may_extend=not finished)
    return finished


def given_run_dir(overrides: list[str]) -> Path | None:
    """The existing directory of a literal ``hydra.run.dir=DIR`` on the command line, else None."""
    given = next((o.split("=", 1)[1] for o in overrides if o.startswith("hydra.run.dir=")), None)
    if given and given[0] == given[-1] == "'" and len(given) > 1:  # quoted for Hydra's grammar
        given = given[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    if given and "${" not in given and Path(given).is_dir():
        return Path(given)
    return None


def read_stored_config(run_dir: Path) -> dict[str, object]:
    """The flat config a run's first start stored, under today's key names (older kexp releases
    named some keys otherwise: :mod:`kexp.config.renamed`); empty mappings left out."""
    stored = yaml.safe_load((Path(run_dir) / STORED_CONFIG).read_text(encoding="utf-8")) or {}
    return {k: v for k, v in current_names(stored).items() if v != {}}


def check_same_config(run_config: RunConfig, run_dir: Path, completed_epochs: int, may_extend: bool = True) -> None:
    """Store the config at a run's first start; on a rerun, refuse one with other values.

    ConfigError names every key that differs. With ``may_extend`` (an
    unfinished run), ``trainer.epochs`` may change while it stays ≥ the epochs
    already trained: the run continues to it.
    """
    stored_path = Path(run_dir) / STORED_CONFIG
    current = run_config.values
    if not stored_path.is_file():
        stored_path.parent.mkdir(parents=True, exist_ok=True)
        from kexp.runs.atomic import write_text

        write_text(stored_path, yaml.safe_dump(current, sort_keys=True, allow_unicode=True))
        return
    stored = read_stored_config(run_dir)
    differ = sorted(
        k
        for k in set(stored) | set(current)
        if not is_free(k) and not stored_matches(stored, k, current.get(k, "<absent>"))
    )
    growable = run_config.growable
    extended = [
        k
        for k in differ
        if may_extend and k in growable and isinstance(value := current.get(k), int) and value >= completed_epochs
    ]
    refused = [k for k in differ if k not in extended]
    if refused:
        shown = ", ".join(f"{k}={current.get(k, '<absent>')} (was {stored.get(k, '<absent>')})" for k in refused[:6])
        more = f" and {len(refused) - 6} more" if len(refused) > 6 else ""
        raise ConfigError(
            f"hydra.run.dir={run_dir} — holds a run with another config: {shown}{more}; "
            "rerun with the same values to resume, or use a new directory"
        )
    for key in extended:
        log.info("%s changed from %s to %s: training continues to the new value", key, stored[key], current[key])
        stored[key] = current[key]
    if extended:
        from kexp.runs.atomic import write_text

        write_text(stored_path, yaml.safe_dump(stored, sort_keys=True, allow_unicode=True))
