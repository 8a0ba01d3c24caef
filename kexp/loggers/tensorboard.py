"""``logger=tensorboard``: Keras TensorBoard logs per run, HParams summaries per sweep.

Each run: ``keras.callbacks.TensorBoard`` writes ``tensorboard/train`` and
``tensorboard/validation`` in the run directory (Keras writes with
``tf.summary``: the tensorflow and tensorboard packages, on any backend).
After a sweep, :func:`write_hparams` adds what TensorBoard's HParams dashboard
compares: the experiment (the swept keys as hyperparameters; best and final
validation accuracy and test accuracy as metrics) at the sweep directory's
top, and each job's values and final metrics in its ``tensorboard/``. Then
``tensorboard --logdir <sweep dir>`` shows one row per job.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kexp.config.errors import ConfigError
from kexp.loggers import LOGGERS, RunLogger, TrackedRun
from kexp.runs.layout import TENSORBOARD_DIR

LOG_DIR = TENSORBOARD_DIR
#: metrics.csv columns shown in the HParams dashboard.
HPARAMS_METRICS = ("best_val_accuracy", "final_val_accuracy", "test_accuracy", "best_val_loss", "test_loss")


def missing_packages() -> list[str]:
    """The packages the Keras TensorBoard callback needs that are not installed."""
    import importlib.util

    return [p for p in ("tensorflow", "tensorboard") if importlib.util.find_spec(p) is None]


@LOGGERS.register("tensorboard")
class TensorBoardLogger(RunLogger):
    """The Keras TensorBoard callback into ``<run dir>/tensorboard`` with ``logger.tensorboard``'s options."""

    def __init__(self, options: dict, run_dir: Path) -> None:
        self.options = options
        self.run_dir = run_dir

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        if missing := missing_packages():
            raise ConfigError.bad_value(
                "logger",
                "[...,tensorboard]",
                f"needs the {' and '.join(missing)} package (pip install 'kexp[tensorboard]')",
            )

    @classmethod
    def open(cls, options: Mapping[str, Any], run: TrackedRun, run_dir: Path) -> TensorBoardLogger:
        cls.check(options)
        return cls(dict(options), run_dir)

    def callbacks(self) -> list:
        import keras

        return [keras.callbacks.TensorBoard(log_dir=str(self.run_dir / LOG_DIR), **self.options)]


def write_hparams(sweep_dir: Path, jobs: list[tuple[Path, dict[str, str], dict[str, object]]], keys: list[str]) -> None:
    """HParams summaries of a sweep: ``jobs`` are (run dir, overrides, metrics row); ``keys`` the swept keys."""
    from tensorboard.plugins.hparams import api as hp

    metrics = [hp.Metric(name, display_name=name) for name in HPARAMS_METRICS]
    params = [hp.HParam(key) for key in keys]
    _write_events(sweep_dir, [hp.hparams_config_pb(hparams=params, metrics=metrics)])
    for run_dir, overrides, row in jobs:
        values = {key: _hparam_value(overrides.get(key, "")) for key in keys}
        summaries = [hp.hparams_pb(values, trial_id=run_dir.name)]
        scores: dict[str, Any] = dict(row)
        summaries += [_scalar(name, float(scores[name])) for name in HPARAMS_METRICS if _is_number(scores.get(name))]
        _write_events(run_dir / LOG_DIR, summaries)


def _write_events(log_dir: Path, summaries: list) -> None:
    """One event file in ``log_dir`` holding ``summaries`` (TensorBoard's own writer, no TensorFlow)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("events.out.tfevents.*.hparams"):  # a rerun of the sweep's end
        old.unlink()
    writer = EventFileWriter(str(log_dir), filename_suffix=".hparams")
    for summary in summaries:  # (hp's protos are TensorFlow's own class when it is installed)
        summary = summary_pb2.Summary.FromString(summary.SerializeToString())
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=0, summary=summary))
    writer.close()


def _scalar(tag: str, value: float):
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb

    return scalar_pb(tag, value)


def _hparam_value(text: str) -> float | str | bool:
    """An override's value as TensorBoard shows it: a number when it is one."""
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


def _is_number(value: Any) -> bool:
    try:
        return float(value) == float(value)  # not NaN
    except (TypeError, ValueError):
        return False
