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


def test_each_sampler_by_name_and_its_options():
    import importlib.util

    import pytest

    from kexp.config.errors import ConfigError
    from kexp.search.samplers import SAMPLERS, make_sampler

    expected = {"tpe": "TrialSeededTPESampler", "random": "TrialSeededRandomSampler", "grid": "AskTellGridSampler",
                "cmaes": "CmaEsSampler", "gp": "GPSampler", "nsga2": "NSGAIISampler"}
    for name in SAMPLERS:
        if name == "gp" and importlib.util.find_spec("torch") is None:
            continue
        sampler = make_sampler(name, 0, {}, {"x": [0.1, 0.5]})
        assert type(sampler).__name__ == expected[name]
    assert make_sampler("tpe", 0, {"n_startup_trials": 3})._n_startup_trials == 3
    # Optuna 5's defaults, set by kexp whatever the version: multivariate for one objective, the liar
    one, two, mine = make_sampler("tpe", 0, {}), make_sampler("tpe", 0, {}, objectives=2), make_sampler(
        "tpe", 0, {"multivariate": False, "constant_liar": False})
    assert (one._multivariate, one._constant_liar, two._multivariate) == (True, True, False)
    assert (mine._multivariate, mine._constant_liar) == (False, False)
    with pytest.raises(ConfigError, match="hparams_search.sampler_options.population=4 — an argument of nsga2"):
        make_sampler("nsga2", 0, {"population": 4})


def test_cma_es_and_random_stay_in_the_space_and_random_is_seeded_per_trial():
    from kexp.search.samplers import make_sampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for name in ("cmaes", "random"):
        study = optuna.create_study(sampler=make_sampler(name, 1, {}))
        for _ in range(6):
            trial = study.ask()
            x, y = trial.suggest_float("x", -1, 1), trial.suggest_float("y", 1e-4, 1e-1, log=True)
            assert -1 <= x <= 1 and 1e-4 <= y <= 1e-1
            study.tell(trial, x * x + y)

    def first(seed):
        study = optuna.create_study(sampler=make_sampler("random", seed, {}))
        return study.ask().suggest_float("x", 0, 1)

    assert first(1) == first(1) != first(2)
