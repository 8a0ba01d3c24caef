"""Hydra callback at the end of a sweep: close what the loggers keep per sweep.

- MLflow: the sweep's parent run gets the comparison files (summary.csv,
  summary.md, report.html, compare_*.png) as artifacts, the count of jobs and
  of jobs that did not end ok as tags, and ends FINISHED (every job ok) or
  FAILED.
- TensorBoard: the HParams dashboard's summaries for the jobs that logged to
  TensorBoard (:func:`kexp.loggers.hparams.write_hparams`).

Like the comparison, it reads what the jobs wrote, so it works for every
launcher; it runs after the comparison (listed before it in ``hydra.callbacks``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml
from omegaconf import OmegaConf

from kexp.runs.layout import HYDRA_CONFIG, SWEEP_FILES
from kexp.runs.sweep_end import SweepEnd

log = logging.getLogger("kexp")

#: Comparison files logged to the parent MLflow run.


class TrackSweep(SweepEnd):
    """At the end of a sweep: end the MLflow parent run, write TensorBoard's HParams summaries."""

    def sweep_ended(self, sweep_dir: Path) -> None:
        from kexp.reporting.compare.runs import find_runs

        runs = find_runs([sweep_dir]) if sweep_dir.is_dir() else []
        try:
            end_mlflow_parent(sweep_dir, runs)
            write_sweep_hparams(sweep_dir, runs)
        except Exception:  # the jobs' results stand; a tracking tool's trouble is logged
            log.exception("kexp: the sweep's tracking summaries could not be written")


def end_mlflow_parent(sweep_dir: Path, runs: list) -> None:
    """Log the comparison into the sweep's MLflow parent run and end it (when the jobs made one)."""
    from kexp.loggers.mlflow import PARENT_FILE

    state = sweep_dir / PARENT_FILE
    if not state.is_file():
        return
    from mlflow import MlflowClient

    known = yaml.safe_load(state.read_text())
    client = MlflowClient(known["tracking_uri"])
    run_id = known["run_id"]
    files = [sweep_dir / name for name in SWEEP_FILES] + sorted(sweep_dir.glob("compare_*.png"))
    for path in files:
        if path.is_file():
            client.log_artifact(run_id, str(path))
    not_ok = sum(run.status != "ok" for run in runs)
    client.set_tag(run_id, "kexp.jobs", str(len(runs)))
    client.set_tag(run_id, "kexp.jobs_not_ok", str(not_ok))
    client.set_terminated(run_id, "FAILED" if not_ok else "FINISHED")
    log.info("kexp: mlflow sweep run %s ended (%d jobs, %d not ok)", run_id, len(runs), not_ok)


def write_sweep_hparams(sweep_dir: Path, runs: list) -> None:
    """TensorBoard HParams summaries for the jobs that used the tensorboard logger."""
    from kexp.reporting.compare.table import swept_keys

    jobs = [run for run in runs if _used_tensorboard(run.path)]
    if not jobs:
        return
    from kexp.loggers.hparams import write_hparams

    keys = swept_keys(runs) or sorted({key for run in runs for key in run.overrides})
    write_hparams(sweep_dir, [(run.path, run.overrides, run.metrics) for run in jobs], keys)
    log.info("kexp: TensorBoard HParams for %d jobs: tensorboard --logdir %s", len(jobs), sweep_dir)


def _used_tensorboard(run_dir: Path) -> bool:
    config = OmegaConf.load(run_dir / HYDRA_CONFIG)
    return "tensorboard" in (OmegaConf.select(config, "logger", default=None) or {})
