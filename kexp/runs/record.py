"""The run record: one row in ``metrics.csv`` per run, written and read only here.

Every place that needs a run's outcome uses :class:`RunRecord`: the run
itself (:mod:`kexp.runs.pipeline`), the job function's failure record and finished-job
check (:mod:`kexp.runs.job`), the sweep's exit status and the comparison
(:mod:`kexp.compare`). Columns, in this order::

    name, model, optimizer, parameters, macs, epochs, final_loss,
    best_val_accuracy, final_val_accuracy, best_val_loss, final_val_loss,
    test_accuracy, test_loss, test_<other metrics of the task>...,
    train_seconds, images_per_second, status, error

``status`` is ``ok``, ``pruned`` (stopped early by a search's pruner; evaluated
like an ok run), ``interrupted`` (resumable), ``diverged`` or ``failed``
(``error`` says why). ``metrics.csv`` is the last file a run writes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from kexp.runs.layout import METRICS_FILE

#: Short names accepted wherever a metric is chosen (``kexp.compare --metric``,
#: the sweep ``objective``), and the column each stands for.
ALIASES = {
    "val_accuracy": "best_val_accuracy",
    "val_loss": "best_val_loss",
    "accuracy": "test_accuracy",
    "loss": "test_loss",
}
#: Columns where a smaller value is better; every other metric is better larger.
_SMALLER_IS_BETTER = ("loss", "seconds", "mae", "mse", "parameters", "macs")

NAN = float("nan")
#: Statuses of a run that was evaluated and saved (:attr:`RunRecord.evaluated`).
EVALUATED = ("ok", "pruned")


@dataclass
class RunRecord:
    """The outcome of one run (one row of ``metrics.csv``)."""

    name: str
    model: str
    optimizer: str
    parameters: int | None = None
    macs: int | None = None  # multiply-accumulates of one forward pass per sample (papers' "FLOPs")
    epochs: int = 0
    final_loss: float = NAN
    best_val_accuracy: float = NAN
    final_val_accuracy: float = NAN
    best_val_loss: float = NAN
    final_val_loss: float = NAN
    test_scores: dict[str, float] = field(default_factory=dict)
    train_seconds: float = NAN
    images_per_second: float = NAN
    status: str = "ok"
    error: str = ""

    @classmethod
    def from_history(cls, name: str, model: str, optimizer: str, history: pd.DataFrame, **values) -> RunRecord:
        """A record whose per-epoch columns come from ``history`` (``history.csv``'s table)."""

        def column(key: str) -> pd.Series:
            return history[key].dropna() if key in history else pd.Series(dtype=float)

        loss, val_accuracy, val_loss = column("loss"), column("val_accuracy"), column("val_loss")
        return cls(
            name=name,
            model=model,
            optimizer=optimizer,
            epochs=len(history),
            final_loss=_last(loss),
            best_val_accuracy=_best(val_accuracy, max),
            final_val_accuracy=_last(val_accuracy),
            best_val_loss=_best(val_loss, min),
            final_val_loss=_last(val_loss),
            **values,
        )

    @property
    def ok(self) -> bool:
        """Whether the run finished and was evaluated."""
        return self.status == "ok"

    @property
    def evaluated(self) -> bool:
        """Whether training ended as planned and the model was evaluated: ok, or stopped early by a
        search's pruner (``pruned``: its history, metrics and model are kept)."""
        return self.status in EVALUATED

    def row(self) -> dict[str, object]:
        """The ``metrics.csv`` row: fixed columns, test scores in place, status and error last."""
        values = asdict(self)
        scores = values.pop("test_scores")
        ordered = {
            "test_accuracy": scores.get("test_accuracy", NAN),
            "test_loss": scores.get("test_loss", NAN),
            **{k: v for k, v in sorted(scores.items()) if k not in ("test_accuracy", "test_loss")},
        }
        row: dict[str, object] = {}
        for key, value in values.items():
            if key == "train_seconds":
                row.update(ordered)
            row[key] = value
        row["train_seconds"] = round(self.train_seconds, 3) if _finite(self.train_seconds) else NAN
        row["error"] = " ".join(self.error.split())
        return row

    def write(self, run_dir: Path) -> Path:
        """Write ``metrics.csv`` into ``run_dir`` atomically; return its path."""
        from kexp.runs.atomic import write_csv

        path = Path(run_dir) / METRICS_FILE
        write_csv(path, pd.DataFrame([self.row()]))
        return path

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunRecord:
        """The record of a ``metrics.csv`` row (missing columns keep their defaults)."""
        known = {f.name for f in fields(cls)} - {"test_scores"}
        if "flops" in row and "macs" not in row:  # (metrics.csv of kexp 0.1 named the MACs flops)
            row = {**row, "macs": row["flops"]}
        values: dict[str, Any] = {k: v for k, v in row.items() if k in known and not _missing(v)}
        for key in ("name", "model", "optimizer", "status", "error"):
            if key in values:
                values[key] = str(values[key])
        for key in ("parameters", "macs", "epochs"):
            if key in values:
                values[key] = int(values[key])
        scores = {k: float(v) for k, v in row.items() if k.startswith("test_") and not _missing(v)}
        names = {key: values.pop(key, "") for key in ("name", "model", "optimizer")}
        return cls(**names, **values, test_scores=scores)

    @classmethod
    def read(cls, run_dir: Path) -> RunRecord | None:
        """The record in ``run_dir/metrics.csv``, or None when there is none (yet)."""
        path = Path(run_dir) / METRICS_FILE
        if not path.is_file():
            return None
        table = pd.read_csv(path)
        return cls.from_row(table.iloc[0].to_dict()) if len(table) else None

    def value(self, metric: str) -> float:
        """The value of ``metric`` (a column, an alias or ``seconds_per_epoch``) in this record; NaN if absent."""
        if metric == "seconds_per_epoch":
            return self.train_seconds / self.epochs if self.epochs else NAN
        return _as_float(self.row().get(metric_column(metric), NAN))


#: The result columns of metrics.csv that every run records, and one derived from two of them.
_EVERY_RUN = (
    "epochs",
    "final_loss",
    "best_val_loss",
    "final_val_loss",
    "test_loss",
    "parameters",
    "macs",
    "train_seconds",
    "images_per_second",
    "seconds_per_epoch",
)


def recorded_metrics(task: str) -> list[str]:
    """The metrics a run of ``task`` records (:meth:`RunRecord.value` has them): what ``objective``
    may name. Classification adds the validation accuracies; each task its test scores (``test_mae``)."""
    from kexp.training.tasks import TASK_METRICS

    accuracies = ("best_val_accuracy", "final_val_accuracy") if task != "regression" else ()
    return [*_EVERY_RUN, *accuracies, *(f"test_{name}" for name in TASK_METRICS.get(task, ()))]


def check_objective(objective: str | list[str], task: str) -> None:
    """ConfigError for an ``objective`` that names no metric a run of ``task`` records (a search would
    rank every trial as its worst, a sweep's comparison fell back to another metric), or names one twice."""
    from kexp.config.errors import ConfigError

    names = objective if isinstance(objective, list) else [objective]
    recorded = recorded_metrics(task)
    for name in names:
        if metric_column(objective_metric(name, task)) not in recorded:
            aliases = [alias for alias, column in ALIASES.items() if column in recorded]
            allowed = ", ".join(["auto", *aliases, *recorded])
            raise ConfigError.bad_value("objective", name, f"a metric that a task={task} run records: {allowed}")
    if len(set(names)) < len(names):
        raise ConfigError.bad_value("objective", f"[{','.join(names)}]", "different metrics")


def metric_column(metric: str) -> str:
    """The ``metrics.csv`` column a metric name stands for (aliases resolved)."""
    return ALIASES.get(metric, metric)


def smaller_is_better(metric: str) -> bool:
    """Whether a lower value of ``metric`` is better (losses, errors, seconds)."""
    return any(word in metric_column(metric) for word in _SMALLER_IS_BETTER)


def objective_metric(objective: str, task: str) -> str:
    """The metric a sweeper optimises: ``auto`` is val_accuracy, or val_loss for regression."""
    if objective != "auto":
        return objective
    return "val_loss" if task == "regression" else "val_accuracy"


def objective_direction(objective: str, task: str) -> str:
    """``minimize`` or ``maximize`` for the sweep objective (Optuna's ``direction``)."""
    return "minimize" if smaller_is_better(objective_metric(objective, task)) else "maximize"


def _last(values: pd.Series) -> float:
    return float(values.iloc[-1]) if len(values) else NAN


def _best(values: pd.Series, pick) -> float:
    finite = values[values.map(_finite)]
    return float(pick(finite)) if len(finite) else NAN


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return NAN
