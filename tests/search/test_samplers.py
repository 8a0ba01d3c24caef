"""The per-trial seeded TPE sampler: reproducible by trial number, different across trials."""

import optuna

from kexp.search.samplers import TrialSeededTPESampler


def draws(sampler_seed, n_trials, storage=None, name="s"):
    study = optuna.create_study(sampler=TrialSeededTPESampler(seed=sampler_seed, n_startup_trials=2),
                                storage=storage, study_name=name, load_if_exists=True)
    values = []
    for _ in range(n_trials):
        trial = study.ask()
        values.append(trial.suggest_float("x", 0.0, 1.0))
        study.tell(trial, values[-1])
    return values


def test_trial_n_draws_the_same_whoever_asks_and_trials_differ():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    once = draws(3, 4)
    assert draws(3, 4) == once and len(set(once)) == 4
    assert draws(4, 4) != once
    # two searchers with the same seed on one study: the second continues, it does not repeat
    storage = optuna.storages.InMemoryStorage()
    first, second = draws(3, 2, storage), draws(3, 2, storage)
    assert first == once[:2] and second == once[2:]
