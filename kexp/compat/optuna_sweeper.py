"""Every use of hydra-optuna-sweeper's private API in one place (its ``_impl`` module).

``hparams_search=optuna`` runs kexp's sweep loop (:mod:`kexp.search.sweeper`) on the
plugin's sweeper class, which the plugin keeps in a private module; kexp also uses a few
of its private helpers to read the search space and build the trials' overrides. Each name
is listed in :data:`PRIVATE_API` and checked by ``tests/compat/test_optuna_sweeper.py``.
"""

from __future__ import annotations

from typing import Any

from hydra_plugins.hydra_optuna_sweeper._impl import OptunaSweeperImpl, create_params_from_overrides

#: The private names kexp relies on.
PRIVATE_API = {
    "hydra_plugins.hydra_optuna_sweeper._impl.OptunaSweeperImpl": (
        "sweep",
        "_process_searchspace_config",
        "_parse_sweeper_params_config",
        "_configure_trials",
        "_get_directions",
    ),
    "hydra_plugins.hydra_optuna_sweeper._impl.create_params_from_overrides": (),
}

__all__ = ["PRIVATE_API", "OptunaSweeperImpl", "configure_trials", "directions", "search_space"]


def search_space(sweeper: OptunaSweeperImpl, arguments: list[str]) -> tuple[dict, dict]:
    """``(distributions to sample, fixed parameters)`` from the config's params and the command line."""
    sweeper._process_searchspace_config()
    params = sweeper._parse_sweeper_params_config() + list(arguments)
    distributions, fixed = create_params_from_overrides(params)
    space = {**(sweeper.search_space_distributions or {}), **distributions}
    return {k: v for k, v in space.items() if k not in fixed}, fixed


def configure_trials(sweeper: OptunaSweeperImpl, trials: list, space: dict, fixed: dict) -> Any:
    """The overrides of each of ``trials`` (sampled from ``space``, plus ``fixed``), as the plugin builds them."""
    return sweeper._configure_trials(trials, space, fixed)


def directions(sweeper: OptunaSweeperImpl) -> list:
    """The study's optimisation direction(s) from the sweeper's config."""
    return sweeper._get_directions()
