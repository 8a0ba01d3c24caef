"""Hydra plugin: Hydra's basic sweeper, without composing a second time what kexp's preflight composed.

Before launching a batch, Hydra's ``BasicSweeper`` composes every job's config once more
to fail early (``Sweeper.validate_batch_is_legal``; its comment says it "can be a bit
slow"): about 0.14 s a job here, on top of the launcher's own composition. kexp's
preflight (:mod:`kexp.cli.preflight`) has already composed and validated those jobs,
with one-line errors, before any directory was made; this sweeper skips the jobs it
checked and leaves the rest (a sweep beyond ``MAX_CHECKED_JOBS``, a run started with
``HYDRA_FULL_ERROR=1``, ``hydra.sweeper.params``) to Hydra. Everything else is Hydra's
own sweeper, which this one drives: Hydra re-executes its core plugins' modules when it
scans for plugins, so the class is looked up when the sweeper is made, not subclassed at
import (:func:`kexp.compat.hydra.basic_sweeper`).

``conf/hydra/sweeper/basic.yaml`` names this class, so ``hydra/sweeper=basic`` (the
default) and its ``max_batch_size``/``params`` work as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class KexpBasicSweeper(Sweeper):
    """Hydra's basic sweeper: the product of the overrides' values, in batches, launched in order."""

    def __init__(self, max_batch_size: int | None = None, params: dict[str, str] | None = None) -> None:
        from kexp.compat.hydra import basic_sweeper

        self.grid = basic_sweeper(max_batch_size, params, self.validate_batch_is_legal)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        """Hydra's setup of its basic sweeper (the launcher, the config)."""
        self.grid.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> Any:
        """Hydra's basic sweep over ``arguments``."""
        return self.grid.sweep(arguments)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Compose (Hydra's check) only the jobs of ``batch`` that kexp's preflight did not check."""
        from kexp.cli.preflight import checked_jobs

        unchecked = [job for job in batch if tuple(job) not in checked_jobs]
        if unchecked:
            type(self.grid).validate_batch_is_legal(self.grid, unchecked)
