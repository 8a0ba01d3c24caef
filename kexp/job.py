"""Hydra's job function: run one experiment in its run directory, report, clean up."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from kexp.errors import KexpError
from kexp.validation import validate

log = logging.getLogger("kexp")


#: Exit codes besides 0: 2 = a user error (nothing written), 3 = diverged,
#: 128 + signal number = interrupted (resumable), as shells report signals.
EXIT_USER_ERROR = 2
EXIT_DIVERGED = 3


def run_job(cfg: DictConfig) -> float:
    """Validate ``cfg``, run it, print where the results are.

    Exits 2 on a user error, 3 when the loss diverged, 128 + signal number
    when interrupted. Returns the final validation accuracy (the value a
    Hydra sweeper optimises).
    """
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    fresh = _is_fresh(run_dir)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        validate(cfg)
        from kexp.experiment import run_experiment

        row = run_experiment(cfg, run_dir)
    except KexpError as err:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error(err.one_line())
        if fresh:
            _remove_unfinished(run_dir)
        print(err.one_line(), file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    print(f"kexp: run directory {run_dir}")
    if row["status"] == "interrupted":
        print(f"kexp: interrupted after {row['epochs']} completed epochs; to continue, run the same "
              f"command with hydra.run.dir={run_dir}", file=sys.stderr)
        sys.exit(128 + int(row["signum"]))
    if row["status"] == "diverged":
        print(f"kexp: diverged: the loss became NaN or infinite in epoch {row['epochs']}; "
              f"lower optimizer.learning_rate (now {cfg.optimizer.get('learning_rate'):g})", file=sys.stderr)
        sys.exit(EXIT_DIVERGED)
    print(f"kexp: {row['name']}: {row['parameters']:,} parameters, {row['epochs']} epochs, "
          f"val_accuracy {row['final_val_accuracy']:.4f}, test_accuracy {row['test_accuracy']:.4f}, "
          f"test_loss {row['test_loss']:.4f}, {row['train_seconds']:.1f} s")
    return float(row["final_val_accuracy"])


def _is_fresh(run_dir: Path) -> bool:
    """True when ``run_dir`` holds only what Hydra made for this job (no earlier results)."""
    return all(p.name in (".hydra", "kexp.log") for p in run_dir.iterdir())


def _remove_unfinished(run_dir: Path) -> None:
    """Delete a run directory whose run stopped on a user error before any result."""
    logging.shutdown()
    shutil.rmtree(run_dir, ignore_errors=True)
    with contextlib.suppress(OSError):
        run_dir.parent.rmdir()  # the date folder, if this run was its only content
