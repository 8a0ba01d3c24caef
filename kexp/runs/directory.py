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

import fcntl
import logging
import os
import socket
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import ConfigError

log = logging.getLogger("kexp")

STATE_DIR = ".kexp"
LOCK_FILE = "lock"
CONFIG_FILE = "config.yaml"
#: Keys that may differ between the first start of a run and its rerun.
FREE_KEYS = ("trainer.verbose",)
#: Keys that may grow: training continues to the new value.
EXTENSIBLE_KEYS = ("trainer.epochs",)

#: The training backup of a run (written by :mod:`kexp.training.backup`): ``epoch-NNNN/`` folders
#: and ``trained/``; read here without Keras.
BACKUP_DIR = "backup"
TRAINED_DIR = "trained"
_EPOCH_PREFIX = "epoch-"

_claimed: dict[str, str] = {}
_held: dict[Path, "RunLock"] = {}


def claim_directory(candidate: str) -> str:
    """Create ``candidate`` (or ``candidate-2``, ``-3``, ...) as a new directory; return its path.

    Idempotent within a process: Hydra may resolve the directory more than once.
    """
    if candidate in _claimed:
        return _claimed[candidate]
    path = Path(candidate)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 10_000):
            name = path if attempt == 1 else path.with_name(f"{path.name}-{attempt}")
            try:
                name.mkdir()
            except FileExistsError:
                continue
            # absolute: jobs may run where the working directory is another (Ray workers)
            _claimed[candidate] = str(name.absolute())
            return _claimed[candidate]
    except OSError as err:  # permissions, a read-only or special file system, a full disk
        raise ConfigError(f"hydra.run.dir={candidate} — cannot create the run directory: "
                          f"{(err.strerror or str(err)).lower()}") from err
    raise ConfigError(f"hydra.run.dir={candidate} — could not create a new directory beside it")


class RunLock:
    """An exclusive lock on a run directory, held until :meth:`release` or process exit."""

    def __init__(self, run_dir: Path, handle) -> None:
        self.run_dir = run_dir
        self._handle = handle

    @classmethod
    def acquire(cls, run_dir: Path, key: str = "hydra.run.dir") -> "RunLock":
        """Lock ``run_dir`` for this process (again: the lock it holds); ConfigError if another holds it."""
        run_dir = Path(run_dir).resolve()
        if run_dir in _held:
            return _held[run_dir]
        state = run_dir / STATE_DIR
        state.mkdir(parents=True, exist_ok=True)
        handle = open(state / LOCK_FILE, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ConfigError(f"{key}={run_dir} — in use by {holder}; wait for it to end "
                              "or choose another directory") from None
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


def epoch_dirs(backup_dir: Path) -> list[Path]:
    """Complete epoch backups, oldest first."""
    if not backup_dir.is_dir():
        return []
    return sorted(p for p in backup_dir.iterdir() if p.is_dir() and p.name.startswith(_EPOCH_PREFIX))


def completed_epochs(backup_dir: Path) -> int:
    """Epochs the newest complete backup holds (0 when there is none)."""
    found = epoch_dirs(backup_dir)
    return int(found[-1].name[len(_EPOCH_PREFIX):]) if found else 0


def check_rerun(cfg: DictConfig, run_dir: Path) -> bool:
    """Check a (re)run's config against the directory's; True when the run there already finished ok."""
    from kexp.runs.record import RunRecord

    backup = Path(run_dir) / BACKUP_DIR
    earlier = RunRecord.read(run_dir)
    finished = earlier is not None and earlier.ok and not backup.exists()
    check_same_config(cfg, run_dir, completed_epochs(backup), may_extend=not finished)
    return finished


def given_run_dir(overrides: list[str]) -> Path | None:
    """The existing directory of a literal ``hydra.run.dir=DIR`` on the command line, else None."""
    given = next((o.split("=", 1)[1] for o in overrides if o.startswith("hydra.run.dir=")), None)
    if given and "${" not in given and Path(given).is_dir():
        return Path(given)
    return None


def flat_config(cfg: DictConfig) -> dict[str, object]:
    """The resolved config without ``hydra`` as ``{dotted.key: value}``."""
    app = OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])
    container = OmegaConf.to_container(app, resolve=True, enum_to_str=True)
    flat: dict[str, object] = {}

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        else:
            flat[prefix] = node

    walk(container, "")
    return flat


def check_same_config(cfg: DictConfig, run_dir: Path, completed_epochs: int,
                      may_extend: bool = True) -> None:
    """Store the config at a run's first start; on a rerun, refuse one with other values.

    ConfigError names every key that differs. With ``may_extend`` (an
    unfinished run), ``trainer.epochs`` may change while it stays ≥ the epochs
    already trained: the run continues to it.
    """
    stored_path = Path(run_dir) / STATE_DIR / CONFIG_FILE
    current = flat_config(cfg)
    if not stored_path.is_file():
        stored_path.parent.mkdir(parents=True, exist_ok=True)
        from kexp.runs.files import write_text

        write_text(stored_path, yaml.safe_dump(current, sort_keys=True, allow_unicode=True))
        return
    stored = yaml.safe_load(stored_path.read_text(encoding="utf-8")) or {}
    differ = sorted(k for k in set(stored) | set(current)
                    if k not in FREE_KEYS and stored.get(k, "<absent>") != current.get(k, "<absent>"))
    extended = [k for k in differ if may_extend and k in EXTENSIBLE_KEYS
                and isinstance(current.get(k), int) and current[k] >= completed_epochs]
    refused = [k for k in differ if k not in extended]
    if refused:
        shown = ", ".join(f"{k}={current.get(k, '<absent>')} (was {stored.get(k, '<absent>')})"
                          for k in refused[:6])
        more = f" and {len(refused) - 6} more" if len(refused) > 6 else ""
        raise ConfigError(f"hydra.run.dir={run_dir} — holds a run with another config: {shown}{more}; "
                          "rerun with the same values to resume, or use a new directory")
    for key in extended:
        log.info("%s changed from %s to %s: training continues to the new value",
                 key, stored[key], current[key])
        stored[key] = current[key]
    if extended:
        from kexp.runs.files import write_text

        write_text(stored_path, yaml.safe_dump(stored, sort_keys=True, allow_unicode=True))
