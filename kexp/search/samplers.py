"""``hparams_search.sampler``: which Optuna sampler proposes the trials, by name.

=============  ==============================================================
``tpe``        TPE (the default), its draws seeded per trial number (below)
``random``     random search, seeded per trial number as well
``grid``       every combination of the ``choice``/``range`` parameters once
``cmaes``      CMA-ES (continuous parameters; the ``cmaes`` package)
``gp``         Gaussian-process Bayesian optimisation (needs PyTorch)
``nsga2``      NSGA-II, for several objectives (``objective=[…, …]``)
=============  ==============================================================

``hparams_search.sampler_options`` passes the sampler's own arguments through
(``n_startup_trials``, ``multivariate``, ``population_size`` …). TPE also takes
several objectives; kexp sets its ``multivariate`` and ``constant_liar`` as Optuna 5 does by
default, on Optuna 4.9 too (:func:`tpe_defaults`), so a search is the same search on both.
"""

from __future__ import annotations

import importlib.util
import inspect
from typing import Any

import numpy as np
import optuna
from optuna.samplers import BaseSampler, GridSampler, RandomSampler, TPESampler

from kexp.compat.optuna import reseed_random, reseed_tpe
from kexp.config.errors import ConfigError


def _trial_seed(base_seed: int, number: int) -> int:
    return int(np.random.SeedSequence([base_seed, number]).generate_state(1)[0])


class TrialSeededTPESampler(TPESampler):
    """Optuna's ``TPESampler``, its random state set from ``(seed, trial number)`` for each trial.

    Two searchers of one study with the same ``seed`` would otherwise draw the
    same "random" start-up trials and, seeing the same history, the same TPE
    candidates: the same trials twice. Trial numbers are handed out by the
    storage, one per trial, so seeding by them keeps a search reproducible (trial
    ``n`` of a study gets the same draws whichever process runs it) and makes
    concurrent searchers propose different trials.
    """

    def __init__(self, seed: int | None = None, **kwargs) -> None:
        super().__init__(seed=seed, **kwargs)
        self._base_seed = seed

    def infer_relative_search_space(self, study, trial):
        """(Called first for every trial:) reseed for this trial, then ask TPE as usual."""
        if self._base_seed is not None:
            reseed_tpe(self, _trial_seed(self._base_seed, trial.number))
        return super().infer_relative_search_space(study, trial)


class TrialSeededRandomSampler(RandomSampler):
    """Optuna's ``RandomSampler``, seeded per trial number like :class:`TrialSeededTPESampler`."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self._base_seed = seed

    def before_trial(self, study, trial) -> None:
        """Reseed for this trial before it draws."""
        if self._base_seed is not None:
            reseed_random(self, _trial_seed(self._base_seed, trial.number))
        super().before_trial(study, trial)


class AskTellGridSampler(GridSampler):
    """Optuna's ``GridSampler`` for ask-and-tell: when the grid is done it calls ``study.stop()``,
    which raises outside ``study.optimize``; kexp's loop stops by itself after the last
    combination (:meth:`kexp.search.sweeper.Searcher.out_of_budget`)."""

    def after_trial(self, study, trial, state, values) -> None:
        """Nothing: the search loop knows when the grid is done."""


#: name → (the sampler class, the package it needs beyond Optuna, or None)
SAMPLERS: dict[str, tuple[str, str | None]] = {
    "tpe": ("kexp.search.samplers.TrialSeededTPESampler", None),
    "random": ("kexp.search.samplers.TrialSeededRandomSampler", None),
    "grid": ("kexp.search.samplers.AskTellGridSampler", None),
    "cmaes": ("optuna.samplers.CmaEsSampler", "cmaes"),
    "gp": ("optuna.samplers.GPSampler", "torch"),
    "nsga2": ("optuna.samplers.NSGAIISampler", None),
}
#: Samplers that take several objectives.
MULTI_OBJECTIVE = ("tpe", "random", "grid", "nsga2")


def sampler_class(name: str) -> type[BaseSampler]:
    """The class ``hparams_search.sampler=name`` stands for; ConfigError (one line) otherwise."""
    if name not in SAMPLERS:
        raise ConfigError.bad_value("hparams_search.sampler", name, "must be one of " + ", ".join(SAMPLERS))
    dotted, needs = SAMPLERS[name]
    if needs is not None and importlib.util.find_spec(needs) is None:
        raise ConfigError(
            f"hparams_search.sampler={name} — Optuna's {dotted.rsplit('.', 1)[1]} needs the package "
            f"{needs}, not installed: pip install {needs}"
        )
    module, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def check_options(kind: str, name: str, cls: type, options: dict) -> None:
    """ConfigError naming an option ``cls`` does not take (``hparams_search.<kind>_options.<key>``)."""
    accepted = set(inspect.signature(cls).parameters) - {"args", "kwargs"}
    if issubclass(cls, (TrialSeededTPESampler, TrialSeededRandomSampler)):
        accepted |= set(inspect.signature(cls.__mro__[1]).parameters)
    accepted -= {"seed", "search_space"}  # (set by kexp: the run's seed, the grid of the params)
    for key in options:
        if key not in accepted:
            raise ConfigError.bad_value(
                f"hparams_search.{kind}_options.{key}",
                options[key],
                f"an argument of {name}: {', '.join(sorted(accepted))}",
            )


def tpe_defaults(objectives: int) -> dict[str, bool]:
    """What kexp sets on TPE whatever Optuna's version: Optuna 5's defaults — multivariate TPE for one
    objective (independent for several) and the constant liar (parallel trials see each other as
    running) — which Optuna 4.9 had off; ``hparams_search.sampler_options`` overrides each."""
    return {"multivariate": objectives == 1, "constant_liar": True}


def make_sampler(
    name: str, seed: int | None, options: dict, grid: dict[str, list] | None = None, objectives: int = 1
) -> BaseSampler:
    """The sampler ``hparams_search.sampler=name`` asks for, seeded with the run's ``seed``, for a
    search of ``objectives`` objectives."""
    cls: Any = sampler_class(name)
    check_options("sampler", name, cls, options)
    if name == "grid":
        return cls(grid or {}, seed=seed, **options)
    if name == "tpe":
        options = {**tpe_defaults(objectives), **options}
    return cls(seed=seed, **options)


def is_seeded_per_trial(sampler: BaseSampler) -> bool:
    """Whether ``sampler`` draws by trial number (concurrent searchers then never repeat a trial)."""
    return isinstance(sampler, (TrialSeededTPESampler, TrialSeededRandomSampler))


__all__ = ["SAMPLERS", "TrialSeededRandomSampler", "TrialSeededTPESampler", "make_sampler", "optuna"]
