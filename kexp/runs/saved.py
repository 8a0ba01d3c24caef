"""A finished run read back: its resolved config, its saved model, its class names.

Used by ``python -m kexp.evaluate`` and ``python -m kexp.predict``; never
writes into the run directory.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from kexp.runs.files import CLASSES_FILE, MODEL_FILE, PER_CLASS_FILE
from kexp.config.errors import ConfigError, KexpError


class RunError(KexpError):
    """A run directory that cannot be used (no finished model, no config)."""

    kind = "run"


def finished_run_config(run_dir: Path) -> DictConfig:
    """The resolved config of ``run_dir``; a RunError when it has no config or no finished model."""
    config = run_dir / ".hydra" / "config.yaml"
    if not run_dir.is_dir():
        raise RunError(f"{run_dir} — no such directory")
    if not config.is_file():
        raise RunError(f"{run_dir} — not a kexp run directory (no .hydra/config.yaml)")
    if not (run_dir / MODEL_FILE).is_file():
        raise RunError(f"{run_dir} — has no finished model ({MODEL_FILE} is missing: the run did not end "
                       "ok, or ran with trainer.save_model=false)")
    return OmegaConf.load(config)


def with_overrides(cfg: DictConfig, overrides: list[str]) -> DictConfig:
    """``cfg`` with ``key=value`` overrides (dotted keys, e.g. ``data.path=DIR``) merged in."""
    for text in overrides:
        key, sep, _ = text.partition("=")
        if not sep or "." not in key or key.startswith(("+", "~")):
            raise ConfigError.bad_value(key or text, text.partition("=")[2] or "?",
                                        "evaluate takes key=value overrides of the run's config "
                                        "with dotted keys, e.g. data.path=DIR or data.test_size=100")
        if OmegaConf.select(cfg, key, default="__missing__") == "__missing__":
            raise ConfigError.bad_value(key, text.partition("=")[2], "not a key of the run's config")
    try:
        return OmegaConf.merge(cfg, OmegaConf.from_dotlist(overrides))
    except OmegaConfBaseException as err:
        raise ConfigError(f"{' '.join(overrides)} — {str(err).splitlines()[0]}") from err


def load_model(run_dir: Path, cfg: DictConfig | None = None):
    """``model.keras`` of ``run_dir``, compiled as it was trained (kexp's layers registered;
    KerasHub's too when ``cfg`` is a run on a ``model.preset``)."""
    import keras

    from kexp.training import losses
    from kexp.models import MODELS
    from kexp.training.optimizers import adabound, radam

    del losses, adabound, radam  # imported to register kexp's classes with Keras
    MODELS.names()  # imports every model module (their layers register themselves)
    if cfg is not None and OmegaConf.select(cfg, "model.preset", default=None):
        import keras_hub  # noqa: F401  (registers the KerasHub backbone classes)
    return keras.saving.load_model(run_dir / MODEL_FILE)


def class_names(run_dir: Path, units: int) -> list[str]:
    """The names of the model's classes: ``per_class.csv`` (the task's classes, binary included),
    else ``classes.csv``, else the numbers 0..units-1."""
    for name in (PER_CLASS_FILE, CLASSES_FILE):
        path = run_dir / name
        if path.is_file():
            table = pd.read_csv(path)
            if "name" in table and len(table) >= units:
                return table["name"].astype(str).tolist()
    return [str(i) for i in range(max(units, 2))]


def new_directory(path: Path) -> Path:
    """Create ``path`` (or ``path-2``, ``-3``, ...) as a new directory and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        candidate = path if attempt == 1 else path.with_name(f"{path.name}-{attempt}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise ConfigError.bad_value("--out", str(path), "no new directory could be made beside it")


def timestamp() -> str:
    """``YYYY-mm-dd_HH-MM-SS`` of now (names of new output directories)."""
    return datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
