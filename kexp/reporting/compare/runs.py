"""Find run directories and read what each one wrote (also half-finished ones)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from kexp.runs.layout import GRADIENTS_CSV, HYDRA_CONFIG, HYDRA_OVERRIDES, is_run, read_history
from kexp.runs.record import RunRecord


@dataclass
class Run:
    """One run directory: its command-line overrides, metrics row and history."""

    path: Path
    overrides: dict[str, str]
    metrics: dict[str, object] = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    gradients: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: ``run.yaml`` (:mod:`kexp.runs.provenance`): command, versions, git state; empty for older runs
    provenance: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        """ok / failed / interrupted / diverged, or unfinished when no metrics.csv exists."""
        return str(self.metrics.get("status", "unfinished"))


def is_run_dir(path: Path) -> bool:
    """A directory kexp (through Hydra) ran a job in."""
    return is_run(path)


def find_runs(paths: list[Path]) -> list[Run]:
    """Every run directory at or below ``paths`` (run dirs, sweep dirs, whole outputs/)."""
    found: dict[Path, None] = {}
    for path in paths:
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no such directory")
        if is_run_dir(path):
            found[path.resolve()] = None
        for config in sorted(path.rglob(HYDRA_CONFIG)):
            found[config.parent.parent.resolve()] = None
    return [read_run(p) for p in sorted(found, key=_natural_key)]


def read_run(path: Path) -> Run:
    """Read a run directory; missing files give empty parts, never an error."""
    overrides_file = path / HYDRA_OVERRIDES
    lines = yaml.safe_load(overrides_file.read_text()) if overrides_file.is_file() else []
    overrides = {}
    for line in lines or []:
        key, _, value = str(line).lstrip("+~").partition("=")
        if not key.startswith("hydra."):
            overrides[key] = value
    run = Run(path, overrides)
    record = RunRecord.read(path)
    if record is not None:
        run.metrics = record.row()
    run.history = read_history(path)
    if (path / GRADIENTS_CSV).is_file():
        run.gradients = pd.read_csv(path / GRADIENTS_CSV)
    from kexp.runs.provenance import read_run_file

    try:
        run.provenance = read_run_file(path)
    except (OSError, yaml.YAMLError):  # a damaged run.yaml: the run is still compared
        run.provenance = {}
    return run


def _natural_key(path: Path) -> tuple:
    """Sort sweep job folders 0, 1, 2, ..., 10 rather than 0, 1, 10, 2."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in path.parts)
