"""kexp's uses of Optuna's and hydra-optuna-sweeper's private API still exist.

If this fails after an upgrade, update kexp/compat/optuna.py or kexp/compat/optuna_sweeper.py."""

import numpy as np
import pytest

from kexp.compat import optuna as optuna_compat
from kexp.compat import optuna_sweeper
from tests.compat.private_api import missing_attributes, resolve


def instance_of(owner):
    import optuna

    if owner is optuna.samplers.TPESampler:
        return owner(seed=0)
    return None


@pytest.mark.parametrize("module, dotted, attributes", [
    *[("kexp/compat/optuna.py", d, a) for d, a in optuna_compat.PRIVATE_API.items()],
    *[("kexp/compat/optuna_sweeper.py", d, a) for d, a in optuna_sweeper.PRIVATE_API.items()]])
def test_each_private_name_exists(module, dotted, attributes):
    owner = resolve(dotted)
    assert owner is not None, f"{dotted} is gone: update {module}"
    if dotted.endswith("FrozenTrial"):  # an instance attribute: check a real frozen trial
        import optuna

        study = optuna.create_study()
        study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
        owner = study.trials[0]
    missing = missing_attributes(owner, attributes, instance_of(owner))
    assert not missing, f"{dotted} no longer has {missing}: update {module}"


def test_a_reseeded_sampler_draws_the_same_start_up_trial_again():
    import optuna

    def first_draw(seed):
        sampler = optuna.samplers.TPESampler()
        optuna_compat.reseed_tpe(sampler, seed)
        study = optuna.create_study(sampler=sampler)
        trial = study.ask()
        return trial.suggest_float("x", 0.0, 1.0)

    assert first_draw(3) == first_draw(3) != first_draw(4)
    assert np.isfinite(first_draw(3))
