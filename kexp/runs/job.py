"""Hydra's job function: run one experiment in its run directory, report, clean up.

Exit codes of a single run besides 0: 1 = failed (a bug or a resource problem,
e.g. a full disk; recorded in ``metrics.csv``), 2 = a user error (nothing
written), 3 = diverged, 128 + signal number = interrupted (resumable), as
shells report signals. In a sweep a job that fails or diverges is recorded and
the sweep goes on; the sweep's exit status comes from its ``metrics.csv``
files (:class:`kexp.reporting.compare.callback.SweepExitStatus`).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from kexp.config.errors import KexpError
from kexp.config.launcher import runs_jobs_here, threads_per_job
from kexp.config.run_settings import RunIdentity, objectives, run_identity
from kexp.config.validation import validate
from kexp.runs.disk import DiskFullError
from kexp.runs.layout import BACKUP_DIR, HISTORY_FILE, HYDRA_DIR, LOG_FILE, STATE_DIR
from kexp.runs.record import RunRecord, objective_direction, objective_metric
from kexp.runs.said import say
from kexp.training.signals import TrainingInterrupted

log = logging.getLogger("kexp")

EXIT_FAILED = 1
EXIT_USER_ERROR = 2
EXIT_DIVERGED = 3
NAN = float("nan")


def run_job(cfg: DictConfig) -> float | list[float]:
    """Validate ``cfg``, run it (or finish what an earlier start left), print where the results are.

    Returns the sweep objective (``objective``: a metrics.csv column or alias).
    A run that did not end ok returns the worst value there is (−inf when the
    objective is maximised, +inf when minimised): a search sweeper ranks the
    trial last and goes on (Hydra's Optuna sweeper aborts the search on NaN).
    """
    from kexp.runs.disk import quiet_h5py_dealloc_errors

    quiet_h5py_dealloc_errors()
    hydra_cfg = HydraConfig.get()
    job = Job(
        Path(hydra_cfg.runtime.output_dir),
        in_sweep=hydra_cfg.mode == RunMode.MULTIRUN,
        identity=run_identity(cfg),
        threads=threads_per_job(hydra_cfg),
    )
    if job.in_sweep and runs_jobs_here(hydra_cfg):  # the next job trains while this one's figures are written
        from kexp.runs import figure_helper

        figure_helper.start()
    record = _run_in_directory(cfg, job)
    return objective_value(objectives(cfg), str(cfg.task.name), record)


@dataclass(frozen=True)
class Job:
    """Where and how this job runs, and the names its record carries if it fails."""

    run_dir: Path
    in_sweep: bool
    identity: RunIdentity
    threads: int | None = None


def objective_value(objective: str | list[str], task: str, record: RunRecord | None) -> float | list[float]:
    """The sweep objective of ``record`` (a list for ``objective=[a,b]``); the worst value when the
    run did not end ok."""
    if isinstance(objective, list):
        return [_one_objective(name, task, record) for name in objective]
    return _one_objective(objective, task, record)


def _one_objective(objective: str, task: str, record: RunRecord | None) -> float:
    metric = objective_metric(objective, task)
    value = record.value(metric) if record is not None and record.ok else NAN
    if math.isfinite(value):
        return value
    return math.inf if objective_direction(objective, task) == "minimize" else -math.inf


def _run_in_directory(cfg: DictConfig, job: Job) -> RunRecord | None:
    """Lock the run directory and run the job there; the run's record (None if it did not run)."""
    try:
        from kexp.runs.directory import RunLock

        lock = RunLock.acquire(job.run_dir)
    except KexpError as err:  # another process runs in this directory: leave it alone
        print(err.one_line(), file=sys.stderr)
        if job.in_sweep:
            return None
        _exit(EXIT_USER_ERROR)
    try:
        return _run_locked(cfg, job)
    finally:
        lock.release()


def _run_locked(cfg: DictConfig, job: Job) -> RunRecord | None:
    """Validate ``cfg``, make it typed objects (the boundary), run; every way of ending handled."""
    run_dir, in_sweep, identity = job.run_dir, job.in_sweep, job.identity
    fresh = _is_fresh(run_dir)
    try:
        validate(cfg)
        from kexp.config.flat import run_config
        from kexp.runs.directory import check_rerun

        if check_rerun(run_config(cfg), run_dir):
            log.info("run %s already finished ok; nothing to do", run_dir)
            print(f"kexp: run directory {run_dir} (already finished ok; skipped)")
            return RunRecord.read(run_dir)
        from kexp.config.run_settings import run_settings
        from kexp.runs.pipeline import run

        settings = run_settings(cfg)
        record = run(settings, run_dir, threads=job.threads)
    except DiskFullError as err:
        if fresh and not (run_dir / HISTORY_FILE).exists():  # refused before training
            _user_error(err, identity, run_dir, in_sweep, started=False)
            return None
        _end_on_full_disk(identity, run_dir, err, hard=False)
    except KexpError as err:
        if (run_dir / BACKUP_DIR).is_dir():  # trained work of this run (or of its earlier start): kept
            _keep_trained_work(identity, run_dir, err)
        _user_error(err, identity, run_dir, in_sweep, started=not fresh or (run_dir / BACKUP_DIR).is_dir())
        return None
    except TrainingInterrupted as stop:
        key, where = ("hydra.sweep.dir", run_dir.parent) if in_sweep else ("hydra.run.dir", run_dir)
        print(f"kexp: run directory {run_dir}")
        from kexp.runs.provenance import override_argument

        again = override_argument(key, where)
        how = f"with {again}" if in_sweep else f"again (or with {again})"
        say(f"kexp: interrupted ({stop}); to continue, run the same command {how}", logging.WARNING)
        _exit(128 + stop.signum)
    except Exception as err:  # a bug or a resource problem: keep what ran, say what broke
        from kexp.runs.disk import is_disk_full

        if is_disk_full(err):
            _end_on_full_disk(identity, run_dir, err)
        _record_failure(identity, run_dir, f"{type(err).__name__}: {err}")
        if in_sweep and os.environ.get("HYDRA_FULL_ERROR") != "1":
            log.exception("job failed; the sweep goes on")
            return None
        raise
    _report(settings.optimizer.learning_rate, record, run_dir, in_sweep)
    return record


def _report(learning_rate: Any, record: RunRecord, run_dir: Path, in_sweep: bool) -> None:
    """Print the run directory and the headline numbers; exit 3 for a diverged single run
    (the advice names the ``learning_rate`` it ran with)."""
    print(f"kexp: run directory {run_dir}")
    if record.status == "diverged":
        if in_sweep:
            log.error("job diverged; the sweep goes on")
            return
        say(
            f"kexp: diverged: the loss became NaN or infinite; training stopped in epoch "
            f"{record.epochs}; lower optimizer.learning_rate (now {learning_rate:g})",
            logging.WARNING,
        )
        _exit(EXIT_DIVERGED)
    row = record.row()
    scores = (
        ", ".join(f"{key} {row[key]:.4f}" for key in row if key.startswith("test_") and row[key] == row[key])
        or "test scores in process 0's run directory"
    )  # (process 1.. of a multi-process run)
    val = (
        f"val_accuracy {record.final_val_accuracy:.4f}, "
        if record.final_val_accuracy == record.final_val_accuracy
        else ""
    )
    print(
        f"kexp: {record.name}: {record.parameters:,} parameters, {record.epochs} epoch{'s' if record.epochs != 1 else ''}, "
        f"{val}{scores}, {record.train_seconds:.1f} s"
    )


def _user_error(err: KexpError, identity: RunIdentity, run_dir: Path, in_sweep: bool, started: bool) -> None:
    """One line on stderr. A sweep job that never started records why and the sweep goes on;
    a single run exits 2, its directory removed unless an earlier start left results there."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        raise err
    say(err.one_line())
    if in_sweep:
        if not started:
            _record_failure(identity, run_dir, err.one_line())
        return
    if not started:
        _remove_unfinished(run_dir)
    _exit(EXIT_USER_ERROR)


def _keep_trained_work(identity: RunIdentity, run_dir: Path, err: KexpError) -> None:
    """A user error after (some) training: the run directory stays, ``metrics.csv`` says failed and why,
    and the backup lets the same command, once the cause is fixed, finish the run without training again."""
    _record_failure(identity, run_dir, err.one_line())
    say(
        f"kexp: the training done is kept in {run_dir} (metrics.csv: failed); once that is fixed, the same "
        "command again finishes the run without training again",
        logging.WARNING,
    )


def _record_failure(identity: RunIdentity, run_dir: Path, message: str) -> None:
    """``metrics.csv`` with status failed and the error, the epochs done counted."""
    from kexp.runs.layout import read_history

    RunRecord.from_history(
        identity.name,
        identity.model,
        identity.optimizer,
        read_history(run_dir),
        status="failed",
        error=message,
    ).write(run_dir)


def _end_on_full_disk(identity: RunIdentity, run_dir: Path, err: Exception, hard: bool = True) -> None:
    """Print one line, record the failure if it still fits, and leave with exit code 1.

    ``hard``: a write failed for lack of space. h5py crashes the interpreter
    when it frees such a file at exit, so its objects are freed now (which
    gives their space back; :func:`kexp.runs.disk.quiet_h5py_dealloc_errors` keeps
    them quiet) and the process ends with ``os._exit``.
    """
    from kexp.runs.disk import disk_full_message, full_file

    if hard:
        where = full_file(err, run_dir)
        _release_frames(err)
        gc.collect()
        message = disk_full_message(where)
    else:
        message = err.one_line() if isinstance(err, KexpError) else str(err)
    say(message)
    try:
        _record_failure(identity, run_dir, message)
    except OSError as failure:
        print(f"kexp: metrics.csv could not be written either ({failure.strerror})", file=sys.stderr)
    _exit(EXIT_FAILED, hard=hard)


def _release_frames(err: BaseException | None) -> None:
    """Drop the tracebacks of ``err`` and its causes, so the objects their frames hold are freed."""
    while err is not None:
        err.__traceback__ = None
        err = err.__cause__ or err.__context__


def _exit(code: int, hard: bool = False) -> None:
    """Leave with ``code`` after flushing output and logs (``hard``: skip interpreter clean-up)."""
    if hard:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


def _is_fresh(run_dir: Path) -> bool:
    """True when ``run_dir`` holds only what Hydra and the lock made for this job."""
    return all(p.name in (HYDRA_DIR, STATE_DIR, LOG_FILE) for p in run_dir.iterdir())


def _remove_unfinished(run_dir: Path) -> None:
    """Delete a run directory whose run stopped on a user error before any result."""
    logging.shutdown()
    shutil.rmtree(run_dir, ignore_errors=True)
    parent = run_dir.absolute().parent
    # the date folder kexp made (outputs/2026-12-04/), if this run was its only content — never a
    # folder of the user's (hydra.run.dir=somewhere/run: somewhere stays, even when empty)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", parent.name) and parent != Path.cwd().absolute():
        with contextlib.suppress(OSError):
            parent.rmdir()
