"""Find run directories and read what each one wrote (also half-finished ones)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from kexp.config.paths import missing_directory
from kexp.runs.directory import is_bookkeeping
from kexp.runs.layout import GRADIENTS_CSV, HYDRA_CONFIG, HYDRA_OVERRIDES, HYDRA_SETTINGS, is_run, read_history
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

    #: the resolved config (``.hydra/config.yaml``) and Hydra's group choices, read when first needed
    _config: dict | None = field(default=None, repr=False)
    _choices: dict | None = field(default=None, repr=False)

    def setting(self, key: str) -> str:
        """The run's value of ``key`` as an override would write it: given on its command line, else
        its group's choice (``model`` → ``cnn``) or its resolved value; ``-`` where the run's
        config has no such key (``model.filters`` of an MLP)."""
        given = self.overrides.get(key, "")
        if given != "":
            return given
        if self._choices is None:
            self._config, self._choices = _read_config(self.path)
        if key in self._choices:
            return str(self._choices[key])
        node: object = self._config
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return "-"
            node = node[part]
        return as_override_value(node)

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
            raise FileNotFoundError(f"{path}: {missing_directory(path)}")
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
        if not key.startswith("hydra.") and not is_bookkeeping(key):
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


def as_override_value(value: object) -> str:
    """A config value written as on a command line: ``[8,16]``, ``true``, ``null``, ``0.001``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ",".join(as_override_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{as_override_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _read_config(path: Path) -> tuple[dict, dict]:
    """A run's resolved config and Hydra's group choices (empty where the files are missing)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # (libyaml: a 100-run comparison stays fast)

    def load(name: str) -> dict:
        try:
            loaded = yaml.load((path / name).read_text(encoding="utf-8"), Loader=loader)
        except (OSError, yaml.YAMLError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    choices = (load(HYDRA_SETTINGS).get("hydra", {}).get("runtime", {}) or {}).get("choices", {}) or {}
    visible = {k: v for k, v in choices.items() if not k.startswith("hydra/") and v is not None}
    return load(HYDRA_CONFIG), visible


def _natural_key(path: Path) -> tuple:
    """Sort sweep job folders 0, 1, 2, ..., 10 rather than 0, 1, 10, 2."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in path.parts)
