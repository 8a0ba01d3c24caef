"""Every use of Optuna's private API in one place.

Optuna has no public way to give a sampler a chosen random state for one trial
(``reseed_rng()`` draws a fresh one). kexp seeds the TPE and random samplers by
trial number (:mod:`kexp.search.samplers`) through :func:`reseed_tpe` and
:func:`reseed_random`, which set their private random states.

Everything else kexp does with Optuna — ask and tell, storages, heartbeats,
pruners, importance — is public API (the sweeper in :mod:`kexp.search.sweeper`
replaced hydra-optuna-sweeper, whose private ``_impl`` it used to patch).

``tests/compat/test_optuna.py`` checks every name in :data:`PRIVATE_API` against the
installed Optuna, so a release that renames one fails there, naming it.
"""

from __future__ import annotations

from optuna.samplers import RandomSampler, TPESampler

#: ``module.Class`` → the private attributes kexp uses on it (instance attributes: checked on an
#: instance made with ``seed=0``).
PRIVATE_API = {
    "optuna.samplers.TPESampler": ("_rng", "_random_sampler"),
    "optuna.samplers.RandomSampler": ("_rng",),
}


def reseed_tpe(sampler: TPESampler, seed: int) -> None:
    """Set ``sampler``'s random state (its own draws and its start-up random sampler) to ``seed``."""
    sampler._rng.rng.seed(seed)
    reseed_random(sampler._random_sampler, seed)


def reseed_random(sampler: RandomSampler, seed: int) -> None:
    """Set a ``RandomSampler``'s random state to ``seed``."""
    sampler._rng.rng.seed(seed)
