"""Hydra plugin: kexp's Optuna sweeper (``hparams_search=optuna``; the loop is :mod:`kexp.search`).

Hydra instantiates sweepers only from the ``hydra_plugins`` package, and imports
every module under it at start-up: this one stays cheap (Hydra's public
``Sweeper`` base only) and imports Optuna when a search starts. Without the
``sweep`` extra (Optuna) ``hparams_search=optuna`` is refused by kexp's preflight
in one line naming the extra. ``conf/hydra/sweeper/optuna.yaml`` names this class.
"""

from __future__ import annotations

from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class KexpOptunaSweeper(Sweeper):
    """An Optuna search on Hydra's public sweeper API: ask a trial, launch its job, tell its value."""

    def __init__(self, **settings: Any) -> None:
        #: ``hydra.sweeper`` without ``_target_``: n_trials, n_jobs, params, study_name, storage,
        #: search (``hparams_search``), objective, task, epochs, seed, max_failure_rate
        self.settings = settings
        self.config: DictConfig | None = None
        self.launcher: Any = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        """Keep the config and make the launcher (Hydra's public plugin registry)."""
        from hydra.core.plugins import Plugins

        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def sweep(self, arguments: list[str]) -> None:
        """Run the search (:func:`kexp.search.run.run_search`)."""
        from pathlib import Path

        from kexp.config.flat import flat_config
        from kexp.search.run import run_search

        assert self.config is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        run_search(self.settings, flat_config(self.config), sweep_dir, self.launcher, arguments)
