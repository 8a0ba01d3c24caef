"""The end of a sweep, as Hydra's callbacks see it: the one place that reads the sweep directory
out of the composed config (``hydra.sweep.dir``).

kexp's end-of-sweep callbacks (the comparison, the trackers' sweep records, the exit status)
subclass :class:`SweepEnd` and get the sweep directory, not the config.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class SweepEnd(Callback):
    """A Hydra callback that acts when a sweep's jobs have ended: :meth:`sweep_ended`."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Hydra's hook: hand the sweep directory to :meth:`sweep_ended` — when the sweep ended.

        Hydra 1.4 calls this hook also while an exception leaves the sweep (from a
        ``finally``; 1.3 did not): a sweep stopped by Ctrl-C, SIGTERM or an error
        has not ended, and its interruption says how to continue it, so nothing
        is done then (as on Hydra 1.3).
        """
        if sys.exc_info()[1] is not None:
            return
        from kexp.runs import figure_helper

        figure_helper.finish()  # every run's figures on disk before anything reads them
        self.sweep_ended(Path(config.hydra.sweep.dir))

    def sweep_ended(self, sweep_dir: Path) -> None:
        """Act on the sweep whose jobs wrote into ``sweep_dir``."""
        raise NotImplementedError
