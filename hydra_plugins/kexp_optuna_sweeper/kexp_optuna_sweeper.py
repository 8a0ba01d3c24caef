"""Hydra plugin: the Optuna sweeper with kexp's shared, resumable study (:mod:`kexp.search.sweeper`).

Hydra instantiates sweepers only from the ``hydra_plugins`` package; the code
is in kexp. ``conf/hparams_search/optuna.yaml`` names this class.

Hydra imports every module under ``hydra_plugins`` at start-up and prints a
six-line warning for one that fails to import. Without the ``sweep`` extra
(hydra-optuna-sweeper) this module still imports — on Hydra's own ``Sweeper``
base — so nothing is printed; ``hparams_search=optuna`` is then refused by
kexp's preflight in one line naming the extra, and the class refuses too if
it is reached another way.
"""

from hydra.plugins.sweeper import Sweeper

try:
    from hydra_plugins.hydra_optuna_sweeper.optuna_sweeper import OptunaSweeper as _Base
except ImportError:  # the sweep extra is not installed
    _Base = None


if _Base is not None:

    class KexpOptunaSweeper(_Base):  # type: ignore[valid-type,misc]
        """``OptunaSweeper`` whose loop is :class:`kexp.search.sweeper.SharedStudySweeper`."""

        def __init__(self, **kwargs) -> None:  # (the same arguments as Hydra's OptunaSweeper)
            from kexp.search.sweeper import SharedStudySweeper

            self.sweeper = SharedStudySweeper(**kwargs)

else:

    class KexpOptunaSweeper(Sweeper):  # type: ignore[no-redef]
        """Stands in while hydra-optuna-sweeper is missing: says what to install."""

        def __init__(self, **kwargs) -> None:
            raise ImportError("hparams_search=optuna needs the sweep extra: pip install 'kexp[sweep]'")

        def setup(self, *args, **kwargs) -> None:  # pragma: no cover (never constructed)
            raise NotImplementedError

        def sweep(self, arguments):  # pragma: no cover
            raise NotImplementedError
