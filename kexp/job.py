"""Hydra's job function: run one experiment in its run directory, report, clean up."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from kexp.errors import KexpError
from kexp.validation import validate

log = logging.getLogger("kexp")


#: Exit codes besides 0: 2 = a user error (nothing written), 3 = diverged,
#: 128 + signal number = interrupted (resumable), as shells report signals.
EXIT_USER_ERROR = 2
EXIT_DIVERGED = 3


#: Job directories of this sweep that did not end ok: added by the job function
#: (jobs run in this process) and by the end-of-sweep summary (any launcher).
FAILED_JOBS: set[str] = set()


def threads_per_job(hydra_cfg: DictConfig) -> int | None:
    """CPU threads for one job when a launcher runs ``n_jobs`` in parallel (joblib), else None."""
    n_jobs = OmegaConf.select(hydra_cfg, "launcher.n_jobs", default=None)
    if n_jobs is None:
        return None
    cores = os.cpu_count() or 1
    parallel = cores if int(n_jobs) < 0 else max(1, min(int(n_jobs), cores))
    return max(1, cores // parallel)


def run_job(cfg: DictConfig) -> float:
    """Validate ``cfg``, run it, print where the results are.

    A single run exits 2 on a user error, 3 when the loss diverged, 128 +
    signal number when interrupted. In a sweep a job that fails or diverges is
    recorded (``metrics.csv`` status and error) and the sweep goes on; a job
    whose directory already holds an ok result is skipped, so re-running a
    sweep into its directory finishes only what is missing. Returns the final
    validation accuracy (the value a Hydra sweeper optimises).
    """
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    in_sweep = hydra_cfg.mode == RunMode.MULTIRUN
    if in_sweep and (finished := _finished_result(run_dir)) is not None:
        log.info("job %s already finished ok; skipped", run_dir)
        return finished
    fresh = _is_fresh(run_dir)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        validate(cfg)
        from kexp.experiment import run_experiment

        row = run_experiment(cfg, run_dir, threads=threads_per_job(hydra_cfg))
    except KexpError as err:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error(err.one_line())
        print(err.one_line(), file=sys.stderr)
        if in_sweep:
            return _record_failure(cfg, run_dir, err.one_line())
        if fresh:
            _remove_unfinished(run_dir)
        sys.exit(EXIT_USER_ERROR)
    except Exception as err:  # a bug or a resource problem: keep what ran, say what broke
        _record_failure(cfg, run_dir, f"{type(err).__name__}: {err}")
        if in_sweep and os.environ.get("HYDRA_FULL_ERROR") != "1":
            log.exception("job failed; the sweep goes on")
            return float("nan")
        raise
    print(f"kexp: run directory {run_dir}")
    if row["status"] == "interrupted":
        print(f"kexp: interrupted after {row['epochs']} completed epochs; to continue, run the same "
              f"command with hydra.run.dir={run_dir}", file=sys.stderr)
        sys.exit(128 + int(row["signum"]))
    if row["status"] == "diverged":
        if in_sweep:
            FAILED_JOBS.add(str(run_dir.resolve()))
            log.error("job diverged; the sweep goes on")
            return float("nan")
        print(f"kexp: diverged: the loss became NaN or infinite; training stopped in epoch {row['epochs']}; "
              f"lower optimizer.learning_rate (now {cfg.optimizer.get('learning_rate'):g})", file=sys.stderr)
        sys.exit(EXIT_DIVERGED)
    scores = ", ".join(f"{key} {row[key]:.4f}" for key in row
                       if key.startswith("test_") and row[key] == row[key])  # skips NaN
    val = f"val_accuracy {row['final_val_accuracy']:.4f}, " if row["final_val_accuracy"] == \
        row["final_val_accuracy"] else ""
    print(f"kexp: {row['name']}: {row['parameters']:,} parameters, {row['epochs']} epochs, "
          f"{val}{scores}, {row['train_seconds']:.1f} s")
    return float(row["final_val_accuracy"])


def _finished_result(run_dir: Path) -> float | None:
    """The final validation accuracy of an ok run already in ``run_dir``, else None."""
    metrics = run_dir / "metrics.csv"
    if not metrics.is_file():
        return None
    import pandas as pd

    row = pd.read_csv(metrics).iloc[0]
    return float(row["final_val_accuracy"]) if row.get("status") == "ok" else None


def _record_failure(cfg: DictConfig, run_dir: Path, message: str) -> float:
    """Write ``metrics.csv`` with status failed and the error; count the job as failed."""
    import pandas as pd

    from kexp.artifacts import write_csv

    FAILED_JOBS.add(str(run_dir.resolve()))
    history = run_dir / "history.csv"
    epochs = len(pd.read_csv(history)) if history.is_file() else 0
    write_csv(run_dir / "metrics.csv", pd.DataFrame([{
        "name": str(cfg.get("name", "")), "model": str(cfg.model.get("name", "")),
        "optimizer": str(cfg.optimizer.get("name", "")), "epochs": epochs,
        "status": "failed", "error": " ".join(message.split())}]))
    return float("nan")


def _is_fresh(run_dir: Path) -> bool:
    """True when ``run_dir`` holds only what Hydra made for this job (no earlier results)."""
    return all(p.name in (".hydra", "kexp.log") for p in run_dir.iterdir())


def _remove_unfinished(run_dir: Path) -> None:
    """Delete a run directory whose run stopped on a user error before any result."""
    logging.shutdown()
    shutil.rmtree(run_dir, ignore_errors=True)
    with contextlib.suppress(OSError):
        run_dir.parent.rmdir()  # the date folder, if this run was its only content
