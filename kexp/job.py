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


def run_job(cfg: DictConfig) -> float:
    """Validate ``cfg``, run it, print where the results are; exit 2 on a user error.

    Returns the final validation accuracy (the value a Hydra sweeper optimises).
    """
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        validate(cfg)
        from kexp.experiment import run_experiment

        row = run_experiment(cfg, run_dir)
    except KexpError as err:
        if os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error(err.one_line())
        _remove_unfinished(run_dir)
        print(err.one_line(), file=sys.stderr)
        sys.exit(2)
    print(f"kexp: run directory {run_dir}")
    print(f"kexp: {row['name']}: {row['parameters']:,} parameters, {row['epochs']} epochs, "
          f"val_accuracy {row['final_val_accuracy']:.4f}, test_accuracy {row['test_accuracy']:.4f}, "
          f"test_loss {row['test_loss']:.4f}, {row['train_seconds']:.1f} s")
    return float(row["final_val_accuracy"])


def _remove_unfinished(run_dir: Path) -> None:
    """Delete a run directory whose run stopped on a user error before any result."""
    logging.shutdown()
    shutil.rmtree(run_dir, ignore_errors=True)
    with contextlib.suppress(OSError):
        run_dir.parent.rmdir()  # the date folder, if this run was its only content
