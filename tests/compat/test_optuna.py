"""kexp's uses of Optuna's private API still exist.

If this fails after an upgrade, update kexp/compat/optuna.py."""

import numpy as np
import pytest

from kexp.compat import optuna as optuna_compat
from tests.compat.private_api import missing_attributes, resolve


@pytest.mark.parametrize("dotted, attributes", list(optuna_compat.PRIVATE_API.items()))
def test_each_private_name_exists(dotted, attributes):
    owner = resolve(dotted)
    assert owner is not None, f"{dotted} is gone: update kexp/compat/optuna.py"
    missing = missing_attributes(owner, attributes, owner(seed=0))
    assert not missing, f"{dotted} no longer has {missing}: update kexp/compat/optuna.py"


@pytest.mark.parametrize("make, reseed", [("TPESampler", optuna_compat.reseed_tpe),
                                          ("RandomSampler", optuna_compat.reseed_random)])
def test_a_reseeded_sampler_draws_the_same_trial_again(make, reseed):
    import optuna

    def first_draw(seed):
        sampler = getattr(optuna.samplers, make)()
        reseed(sampler, seed)
        study = optuna.create_study(sampler=sampler)
        trial = study.ask()
        return trial.suggest_float("x", 0.0, 1.0)

    assert first_draw(3) == first_draw(3) != first_draw(4)
    assert np.isfinite(first_draw(3))
