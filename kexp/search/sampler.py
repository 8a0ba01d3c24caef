"""A TPE sampler whose random draws depend on the seed and the trial's number only."""

from __future__ import annotations

import numpy as np
from optuna.samplers import TPESampler

from kexp.compat.optuna import reseed_tpe


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
            seed = int(np.random.SeedSequence([self._base_seed, trial.number]).generate_state(1)[0])
            reseed_tpe(self, seed)
        return super().infer_relative_search_space(study, trial)
