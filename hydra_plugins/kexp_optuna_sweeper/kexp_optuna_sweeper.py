"""Hydra plugin: the Optuna sweeper with kexp's shared, resumable study (:mod:`kexp.search.sweeper`).

Hydra instantiates sweepers only from the ``hydra_plugins`` package; the code
is in kexp. ``conf/hparams_search/optuna.yaml`` names this class.
"""

from hydra_plugins.hydra_optuna_sweeper.optuna_sweeper import OptunaSweeper


class KexpOptunaSweeper(OptunaSweeper):
    """``OptunaSweeper`` whose loop is :class:`kexp.search.sweeper.SharedStudySweeper`."""

    def __init__(self, **kwargs) -> None:  # (the same arguments as Hydra's OptunaSweeper)
        from kexp.search.sweeper import SharedStudySweeper

        self.sweeper = SharedStudySweeper(**kwargs)
