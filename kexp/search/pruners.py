"""``hparams_search.pruner``: which Optuna pruner stops lost trials early, by name.

=======================  ================================================================
``none``                 (default) every trial trains all its epochs
``median``               stop a trial whose value is below the median of earlier trials
                         at the same epoch (``MedianPruner``)
``percentile``           the same with another percentile (``percentile: 25.0`` …)
``successive_halving``   asynchronous successive halving, epochs as the resource
``hyperband``            Hyperband over successive-halving brackets, ``max_resource`` =
                         ``trainer.epochs`` unless set
=======================  ================================================================

``hparams_search.pruner_options`` passes the pruner's own arguments through
(``n_startup_trials``, ``n_warmup_steps``, ``min_resource``, ``reduction_factor`` …).
The pruner is built twice from the same config: by the sweeper (for the study) and
by each trial's run, which reports every epoch and asks it
(:mod:`kexp.search.reporting`).
"""

from __future__ import annotations

import importlib

from optuna.pruners import BasePruner

from kexp.config.errors import ConfigError
from kexp.search.samplers import check_options

#: name → the pruner class (``None``: no pruning)
PRUNERS: dict[str, str | None] = {
    "none": None,
    "median": "optuna.pruners.MedianPruner",
    "percentile": "optuna.pruners.PercentilePruner",
    "successive_halving": "optuna.pruners.SuccessiveHalvingPruner",
    "hyperband": "optuna.pruners.HyperbandPruner",
}


def pruner_class(name: str) -> type[BasePruner] | None:
    """The class ``hparams_search.pruner=name`` stands for (None for ``none``); ConfigError otherwise."""
    if name not in PRUNERS:
        raise ConfigError.bad_value("hparams_search.pruner", name, "must be one of " + ", ".join(PRUNERS))
    dotted = PRUNERS[name]
    if dotted is None:
        return None
    module, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def make_pruner(name: str, options: dict, epochs: int) -> BasePruner:
    """The pruner ``hparams_search.pruner=name`` asks for; epochs are its steps (and Hyperband's resource)."""
    import optuna

    cls = pruner_class(name)
    if cls is None:
        return optuna.pruners.NopPruner()
    options = dict(options)
    if name == "percentile" and "percentile" not in options:
        options["percentile"] = 25.0
    check_options("pruner", name, cls, options)
    if name == "hyperband":
        options.setdefault("max_resource", int(epochs))
    return cls(**options)
