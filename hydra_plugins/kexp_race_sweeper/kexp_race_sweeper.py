"""Hydra plugin: kexp's racing sweeper (``hydra/sweeper=race``; the race is :mod:`kexp.race`).

Hydra instantiates sweepers only from the ``hydra_plugins`` package and imports every module
under it at start-up: this one stays cheap (Hydra's public ``Sweeper`` base only).
``conf/hydra/sweeper/race.yaml`` names this class and its settings.
"""

from __future__ import annotations

from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class KexpRaceSweeper(Sweeper):
    """Configurations raced seed by seed: a round of jobs, a decision, the next round."""

    def __init__(self, **settings: Any) -> None:
        #: ``hydra.sweeper`` without ``_target_``: alpha, max_seeds, first_seeds, seeds_per_round,
        #: margin, objective, task, seed
        self.settings = settings
        self.config: DictConfig | None = None
        self.launcher: Any = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        """Keep the config and make the launcher (Hydra's public plugin registry)."""
        from hydra.core.plugins import Plugins

        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def sweep(self, arguments: list[str]) -> None:
        """Run the race (:func:`kexp.race.run.run_race`) into the sweep directory."""
        from pathlib import Path

        from omegaconf import OmegaConf

        from kexp.race.run import start_race
        from kexp.runs.layout import MULTIRUN_FILE

        assert self.config is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / MULTIRUN_FILE)
        start_race(self.settings, arguments, self.launcher, sweep_dir)
