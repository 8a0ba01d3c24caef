"""The Hydra callback that compares a sweep's jobs when the sweep ends."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger("kexp")


class CompareSweep(Callback):
    """``on_multirun_end``: write the comparison files into the sweep directory."""

    def __init__(self, metric: str = "val_accuracy") -> None:
        self.metric = metric

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from kexp.compare import compare

        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            written = compare([sweep_dir], sweep_dir, self.metric)
        except (FileNotFoundError, ValueError) as err:
            log.error("kexp: no comparison written: %s", err)
            return
        log.info("kexp: sweep comparison: %s", written["report.html"])
        import pandas as pd

        from kexp.job import FAILED_JOBS

        summary = pd.read_csv(written["summary.csv"])
        FAILED_JOBS.update(summary.loc[summary["status"] != "ok", "dir"].astype(str))
        print(f"kexp: sweep summary {written['summary.md']}")
