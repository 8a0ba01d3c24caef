"""The run directory: the name of every file a run writes, and reading its history back.

This module is the one owner of that layout. Writers (the pipeline, the
trainer, the reports), readers (``kexp.compare``, ``kexp.evaluate``,
``kexp.predict``, the resume checks) and the loggers that copy a run elsewhere
(MLflow) take the names from here; ``docs/getting-started.md``'s table of run
files is tested against :data:`RUN_FILES`. Nothing here imports Keras.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# -- what a finished run holds ------------------------------------------------------------
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.csv"
PER_CLASS_FILE = "per_class.csv"
CLASSES_FILE = "classes.csv"
CONFUSION_CSV = "confusion_matrix.csv"
CONFUSION_PNG = "confusion_matrix.png"
RUN_FILE = "run.yaml"
CURVES_FILE = "curves.png"
CHECKPOINT_DIR = "checkpoints"
TENSORBOARD_DIR = "tensorboard"
SUMMARY_FILE = "model.txt"
GRADIENTS_CSV = "gradients.csv"
GRADIENTS_PNG = "gradients.png"
MODEL_FILE = "model.keras"
LOG_FILE = "kexp.log"
HYDRA_DIR = ".hydra"
STATE_DIR = ".kexp"
EVALUATIONS_DIR = "evaluations"
BACKUP_DIR = "backup"
#: the learning-rate range test (``python -m kexp.lr_find``, ``optimizer.learning_rate=find``)
LR_FIND_CSV = "lr_find.csv"
LR_FIND_PNG = "lr_find.png"
LR_FIND_YAML = "lr_find.yaml"
#: ``data=csv``: the feature encoding fitted on the training split (scikit-learn, joblib).
PREPROCESSING_FILE = "preprocessing.joblib"

#: Every entry a run directory can have, with what it is (the docs' table, in this order).
RUN_FILES: dict[str, str] = {
    HISTORY_FILE: "one row per epoch",
    METRICS_FILE: "one row, the last file a run writes",
    PER_CLASS_FILE: "classification: scores of every class on the test split",
    CLASSES_FILE: "data with class names",
    f"{CONFUSION_CSV}, {CONFUSION_PNG}": "classification: the test split's confusion matrix",
    RUN_FILE: "provenance",
    CURVES_FILE: "accuracy and loss against epoch",
    "accuracy.png, loss.png": "trainer.curves=slides: the slide deck's two figures",
    f"{CHECKPOINT_DIR}/": "trainer.checkpoint: best.keras / last.keras",
    f"{TENSORBOARD_DIR}/": "logger=[csv,tensorboard]",
    SUMMARY_FILE: "the whole Keras model summary and the MACs",
    f"{GRADIENTS_CSV}, {GRADIENTS_PNG}": "gradient flow",
    MODEL_FILE: "the trained model",
    PREPROCESSING_FILE: "data=csv: the fitted feature encoding",
    f"{LR_FIND_CSV}, {LR_FIND_PNG}, {LR_FIND_YAML}": "optimizer.learning_rate=find: the range test and its suggestion",
    LOG_FILE: "the log",
    f"{HYDRA_DIR}/": "Hydra's resolved config, its own config, the overrides",
    f"{STATE_DIR}/": "the stored config, the lock, logger state",
    f"{EVALUATIONS_DIR}/": "python -m kexp.evaluate's results",
    f"{BACKUP_DIR}/": "only while a run is unfinished",
}

#: What a logger copies out of a finished run (MLflow's artifacts), when present.
ARTIFACT_FILES = (
    CURVES_FILE,
    HISTORY_FILE,
    METRICS_FILE,
    SUMMARY_FILE,
    RUN_FILE,
    PER_CLASS_FILE,
    CLASSES_FILE,
    CONFUSION_CSV,
    CONFUSION_PNG,
    GRADIENTS_CSV,
    GRADIENTS_PNG,
    PREPROCESSING_FILE,
    f"{HYDRA_DIR}/config.yaml",  # (HYDRA_CONFIG, below)
    f"{HYDRA_DIR}/overrides.yaml",
)

# -- .hydra/ (written by Hydra) and .kexp/ (kexp's own state) -------------------------------
HYDRA_CONFIG = f"{HYDRA_DIR}/config.yaml"
HYDRA_OVERRIDES = f"{HYDRA_DIR}/overrides.yaml"
#: Hydra's own config of the run (``hydra.runtime.choices``: which option of each group)
HYDRA_SETTINGS = f"{HYDRA_DIR}/hydra.yaml"
LOCK_FILE = f"{STATE_DIR}/lock"
STORED_CONFIG = f"{STATE_DIR}/config.yaml"
MLFLOW_STATE = f"{STATE_DIR}/mlflow.yaml"
MLFLOW_PARENT_STATE = f"{STATE_DIR}/mlflow-parent.yaml"

# -- while training: the stream CSVLogger appends to, and the backup ------------------------
HISTORY_STREAM = ".history.stream.csv"
#: ``backup/epoch-NNNN/``: Keras BackupAndRestore's files of the last completed epoch.
EPOCH_PREFIX = "epoch-"
#: ``backup/trained/``: the weights at the end of training and how it ended.
TRAINED_DIR = "trained"
#: ``cache/``: ``data.cache=disk`` without a ``data.cache_dir``.
CACHE_DIR = "cache"

# -- what a sweep directory holds besides its jobs ------------------------------------------
SUMMARY_CSV = "summary.csv"
SUMMARY_MD = "summary.md"
REPORT_FILE = "report.html"
STUDY_FILE = "study.csv"
# a search's (kexp/search/study_files.py, confirm.py; read back by the comparison)
RESULTS_FILE = "optimization_results.yaml"
IMPORTANCE_CSV, IMPORTANCE_PNG, PARETO_PNG = "importance.csv", "importance.png", "pareto.png"
CONFIRM_FILE, CONFIRM_MD, CONFIRM_RANKING = "confirm.csv", "confirm.md", "confirm_ranking.csv"
# a race's (hydra/sweeper=race; kexp/race/run.py): each look's decisions, and how it ended
RACE_CSV, RACE_YAML = "race.csv", "race.yaml"
SWEEP_FILES = (SUMMARY_CSV, SUMMARY_MD, REPORT_FILE)
#: Hydra's record of a sweep (its config and overrides), in the sweep directory
MULTIRUN_FILE = "multirun.yaml"
COMPARE_GRADIENTS = "compare_gradients.png"
#: the seed statistics as a forest plot (a sweep with seeds)
COMPARE_SEEDS = "compare_seeds.png"

# -- inside a run: checkpoints, the early-stopping copy, the backup's files ------------------
BEST_CHECKPOINT, LAST_CHECKPOINT = "best.keras", "last.keras"
EARLY_STOPPING_BEST = "early_stopping_best.npz"
#: Keras BackupAndRestore's files in ``backup/epoch-NNNN/``
BACKUP_WEIGHTS, BACKUP_METADATA = "latest.weights.h5", "training_metadata.json"
#: ``backup/trained/``: the trained weights and how training ended
TRAINED_WEIGHTS, TRAINED_RESULT = "model.weights.h5", "result.json"

# -- what the commands write ------------------------------------------------------------------
#: ``kexp.evaluate``: RUN_DIR/evaluations/<time>/ holds these, beside the run's own score files
EVALUATION_FILE = "evaluation.yaml"
#: ``kexp.export``: RUN_DIR/exports/<format>_<time>/
EXPORTS_DIR, EXPORT_FILE = "exports", "export.yaml"
ONNX_FILE, LITERT_FILE = "model.onnx", "model.tflite"
#: ``kexp.replay``: <out>/replay.yaml beside the replayed run(s)
REPLAY_FILE = "replay.yaml"
#: ``kexp.diff --html DIR``
DIFF_HTML, DIFF_CURVES = "diff.html", "diff_curves.png"
#: ``kexp.predict`` without ``--out`` (in the working directory)
PREDICTIONS_FILE = "predictions.csv"

# -- under the working directory: where runs go by default, the shared stores ---------------
OUTPUT_ROOT = "outputs"
MULTIRUN_DIR = "multirun"
LR_FIND_DIR, REPLAY_DIR = "lr_find", "replay"
MLFLOW_DB, OPTUNA_DB = "mlflow.db", "optuna.db"
#: In kexp's per-user cache (:func:`user_cache_dir`): which image files decoded before
#: (kexp/data/checked_images.py), and JAX's compiled programs (kexp/backends/jax.py).
DECODED_IMAGES, JAX_PROGRAMS = "decoded-images.json", "jax"


def user_cache_dir() -> Path:
    """kexp's per-user cache, whatever in it may be deleted at any time: ``$KEXP_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/kexp``, else ``~/.cache/kexp``."""
    root = os.environ.get("KEXP_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "kexp"
    return Path(root)


def is_run(path: Path) -> bool:
    """Whether ``path`` is a run directory (Hydra wrote its resolved config there)."""
    return (Path(path) / HYDRA_CONFIG).is_file()


def read_history(run_dir: Path) -> pd.DataFrame:
    """``history.csv`` of ``run_dir`` (an empty table before the first epoch)."""
    import pandas as pd  # (lazily: the command line names run files without pandas)

    path = Path(run_dir) / HISTORY_FILE
    return pd.read_csv(path) if path.is_file() else pd.DataFrame()


def epoch_dirs(backup_dir: Path) -> list[Path]:
    """The complete epoch backups in ``backup_dir``, oldest first."""
    if not Path(backup_dir).is_dir():
        return []
    return sorted(p for p in Path(backup_dir).iterdir() if p.is_dir() and p.name.startswith(EPOCH_PREFIX))


def completed_epochs(backup_dir: Path) -> int:
    """Epochs the newest complete backup holds (0 when there is none)."""
    found = epoch_dirs(backup_dir)
    return int(found[-1].name[len(EPOCH_PREFIX) :]) if found else 0
