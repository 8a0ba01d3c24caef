"""A finished run read back: its resolved config, its saved model, its class names.

Used by ``python -m kexp.evaluate`` and ``python -m kexp.predict``; never
writes into the run directory.
"""

from __future__ import annotations

import datetime
import warnings
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import KexpError
from kexp.config.paths import missing_directory
from kexp.runs.layout import CLASSES_FILE, HYDRA_CONFIG, MODEL_FILE, PER_CLASS_FILE, PREPROCESSING_FILE


class RunError(KexpError):
    """A run directory that cannot be used (no finished model, no config)."""

    kind = "run"


def finished_run_config(run_dir: Path) -> DictConfig:
    """The resolved config of ``run_dir``; a RunError when it has no config or no finished model."""
    config = run_dir / HYDRA_CONFIG
    if not run_dir.is_dir():
        raise RunError(f"{run_dir} — {missing_directory(run_dir)}")
    if not config.is_file():
        raise RunError(f"{run_dir} — not a kexp run directory (no {HYDRA_CONFIG})")
    if not (run_dir / MODEL_FILE).is_file():
        raise RunError(
            f"{run_dir} — has no finished model ({MODEL_FILE} is missing: the run did not end "
            "ok, or ran with trainer.save_model=false)"
        )
    from kexp.config.renamed import upgrade

    # (a run of an older kexp: read under today's key names)
    return upgrade(OmegaConf.load(config))  # type: ignore[arg-type]


def load_model(run_dir: Path, uses_keras_hub: bool = False):
    """``model.keras`` of ``run_dir``, compiled as it was trained (kexp's layers registered;
    KerasHub's too with ``uses_keras_hub``: a run on a ``model.preset``)."""
    from kexp.backends.quiet import import_keras_quietly

    keras = import_keras_quietly()  # (a notebook's Result.load_model(): no CUDA start-up lines)
    from kexp.models import MODELS
    from kexp.training import losses
    from kexp.training.optimizers import adabound, radam

    del losses, adabound, radam  # imported to register kexp's classes with Keras
    MODELS.names()  # imports every model module (their layers register themselves)
    if uses_keras_hub:
        import keras_hub  # noqa: F401  (registers the KerasHub backbone classes)
    with warnings.catch_warnings():  # (a model saved without its optimizer's state: kexp's default)
        warnings.filterwarnings("ignore", message=OPTIMIZER_SKIPPED)
        return keras.saving.load_model(run_dir / MODEL_FILE)


#: What Keras says when it loads a model.keras saved without its optimizer's state.
OPTIMIZER_SKIPPED = r"Skipping variable loading for optimizer"


def save_model(model, path: Path, with_optimizer: bool = False) -> None:
    """``model.keras`` at ``path`` (atomically); without the optimizer's state unless ``with_optimizer``.

    Keras's ``.keras`` format always stores the compiled optimizer's variables (Adam's moments:
    twice the weights again). Without them, the optimizer saved is an unbuilt copy of the same
    configuration: the file loads compiled, evaluates and predicts the same; training from it
    starts the optimizer afresh.
    """
    import keras

    from kexp.runs.atomic import atomic_path

    trained = getattr(model, "optimizer", None)
    if not with_optimizer and trained is not None:
        model.optimizer = keras.optimizers.deserialize(keras.optimizers.serialize(trained))
    try:
        with atomic_path(path) as tmp:
            model.save(tmp)
    finally:
        if trained is not None:
            model.optimizer = trained


def load_preprocessing(run_dir: Path):
    """The table preprocessing a ``data=csv`` run fitted and saved, or None (other data, or a run of
    kexp 0.1, which did not save it)."""
    path = Path(run_dir) / PREPROCESSING_FILE
    if not path.is_file():
        return None
    import joblib

    return joblib.load(path)


def save_preprocessing(encoder, run_dir: Path) -> None:
    """Write the fitted table preprocessing into ``run_dir`` atomically."""
    import joblib

    from kexp.runs.atomic import atomic_path

    with atomic_path(Path(run_dir) / PREPROCESSING_FILE) as tmp:
        joblib.dump(encoder, tmp)


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
    """Create ``path`` (or ``path-2``, ``-3``, ...) as a new output directory (``--out``) and return it."""
    from kexp.runs.directory import new_directory as make

    return make(path, key="--out", what="the output directory")


def timestamp() -> str:
    """``YYYY-mm-dd_HH-MM-SS`` of now (names of new output directories)."""
    return datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
