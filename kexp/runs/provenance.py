"""``run.yaml``: where a run's numbers came from — command, times, machine, versions, code, seed.

Written when a run starts (``finished`` empty) and again when it ends;
every start of a resumed run rewrites it with its own command and versions
and keeps the first start's time in ``first_started``.
"""

from __future__ import annotations

import datetime
import platform
import re
import shlex
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from kexp.backends.start import BackendInfo
from kexp.config.paths import hydra_quoted
from kexp.runs.layout import RUN_FILE

#: The distributions whose versions decide a run's numbers (absent ones are left out).
PACKAGES = ("kexp", "keras", "tensorflow", "jax", "jaxlib", "numpy", "hydra-core", "scikit-learn", "pandas")


def now() -> str:
    """The local time with its UTC offset, to the second (ISO 8601)."""
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`PACKAGES`."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_state(directory: Path) -> dict[str, object] | None:
    """``{commit, dirty}`` of the git repository holding ``directory``; None outside one (or without git)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": dirty}


def command_line(module: str = "kexp") -> str:
    """This process's command as it can be typed again: ``python -m <module> <arguments>`` (shell-quoted)."""
    return shlex.join([Path(sys.executable).name, "-m", module, *sys.argv[1:]])


_PLAIN = re.compile(r"[\w./-]*")


def override_argument(key: str, value: object, shell: bool = True) -> str:
    """``key=value`` as one argument to paste into a shell that Hydra's grammar parses back to ``value``
    (``shell=False``: as one element of ``sys.argv``, quoted for Hydra only).

    Run directories hold ``=`` and ``,`` (``13-58-26_model=mlp,trainer.epochs=15``), which
    Hydra reads as syntax: such a value is quoted for Hydra (``'…'``) inside quotes for the shell.
    """
    text = str(value)
    if _PLAIN.fullmatch(text):
        return f"{key}={text}"
    quoted = hydra_quoted(text)
    return shlex.quote(f"{key}={quoted}") if shell else f"{key}={quoted}"


def provenance(seed: int, backend: BackendInfo, started: str | None = None, module: str = "kexp") -> dict[str, object]:
    """The facts of this process: command, start time, host, Python and package versions, backend
    (name, precision and devices as fields), git, seed."""
    facts: dict[str, object] = {
        "command": command_line(module),
        "started": started or now(),
        "finished": None,
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "backend": backend.backend,
        "precision": backend.precision,
        "devices": list(backend.devices),
        "seed": seed,
    }
    git = git_state(Path.cwd())
    if git is not None:
        facts["git"] = git
    return facts


def write_run_file(run_dir: Path, facts: dict[str, object]) -> None:
    """Write ``run.yaml`` atomically, keeping the first start's time of an earlier start."""
    from kexp.runs.atomic import write_text

    previous = read_run_file(run_dir)
    facts = {
        **facts,
        "first_started": previous.get("first_started", previous.get("started")) if previous else facts["started"],
    }
    write_text(run_dir / RUN_FILE, yaml.safe_dump(facts, sort_keys=False, allow_unicode=True))


def read_run_file(run_dir: Path) -> dict[str, object]:
    """``run.yaml`` of ``run_dir`` as a dict (empty when there is none)."""
    path = run_dir / RUN_FILE
    return yaml.safe_load(path.read_text()) or {} if path.is_file() else {}


def mark_finished(run_dir: Path, status: str) -> None:
    """Add the end time and the run's status to ``run.yaml``."""
    facts = read_run_file(run_dir)
    if facts:
        write_run_file(run_dir, {**facts, "finished": now(), "status": status})
