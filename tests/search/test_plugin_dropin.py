"""Configs written for Hydra's Optuna plugin (hydra-optuna-sweeper), tried on kexp's sweeper.

The reference is the plugin's own suite, ``plugins/hydra_optuna_sweeper/tests/
test_optuna_sweeper_plugin.py`` of the hydra repository. Each of its cases, and where kexp
covers it (kexp's own tests, on kexp's inputs; none of theirs copied):

- ``test_discovery``: kexp's sweeper is a Hydra plugin found the same way — every search test
  runs through it (``tests/search/test_sweeper.py``).
- ``test_create_optuna_distribution_from_override`` (10 texts): the same texts give the same
  distributions here (Optuna's current classes: ``IntDistribution`` for ``IntUniformDistribution``,
  …): :func:`test_each_override_text_is_the_distribution_the_plugin_builds`.
- ``test_create_params_from_overrides`` (4 cases): sampled and fixed keys split the same way:
  :func:`test_sampled_and_fixed_keys_split_as_the_plugin_splits_them`.
- ``test_create_optuna_distribution_from_config`` and ``test_warnings``: the plugin's
  ``hydra.sweeper.search_space`` (``{type: int, low: …}``), deprecated there since Hydra 1.2 in
  favour of ``params``; kexp has only ``params``: ``search_space`` is an unknown key, one line
  before anything runs (:func:`test_what_kexp_does_otherwise_is_one_line_naming_what_to_write`).
- ``test_launch_jobs``, ``test_optuna_example`` (storage, study name, ``hydra/sweeper/sampler=tpe``
  with ``hydra.sweeper.sampler.seed``, a fixed key on the command line, ``optimization_results.yaml``
  with the best params and value): the sampler group and seed here
  (:func:`test_the_plugins_sampler_group_and_seed_choose_the_same_sampler`); the sweeper's own
  ``storage``/``study_name`` spellings and the results file in
  ``test_sweeper.py::test_the_sweepers_own_spellings_own_the_study_and_other_fixed_settings_are_refused``
  and ``test_two_concurrent_searchers_share_one_study_and_a_rerun_continues_it``; their sphere
  function's TPE threshold (a plain Hydra app returning a number) cannot apply: kexp's jobs train.
- ``test_example_with_grid_sampler``: ``test_a_grid_on_a_journal_file_with_parallel_jobs_stops_when_every_combination_ran``
  (every combination once, ``n_trials`` capped by the grid).
- ``test_optuna_multi_objective_example`` (``hydra/sweeper/sampler=random``, ``x=range(0, 5)``,
  a front of non-dominated trials): ``test_several_objectives_give_a_pareto_front_and_a_budget_ends_the_search``;
  the directions come from the objectives, and a ``hydra.sweeper.direction`` that agrees is accepted
  (:func:`test_a_direction_that_agrees_is_accepted_one_that_does_not_is_one_line`).
- ``test_optuna_custom_search_space_example``: kexp differs on purpose (its space is ``params`` and
  the command line; a trial's run opens the study itself): one line naming that
  (:func:`test_what_kexp_does_otherwise_is_one_line_naming_what_to_write`).
- ``test_failure_rate`` (``max_failure_rate`` 0.5 / 1.0 with failing jobs): kexp's sweeper has the
  same key; a failed trial is told FAIL and the search stops with the job's own error above the
  rate (``kexp/search/sweeper.py``); a trial's run that fails is recorded (``metrics.csv``) as any
  sweep job's is.
"""

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from kexp.search.settings import SearchSettings
from kexp.search.space import distribution, search_space
from tests.conftest import compose_config, preflight_error


@pytest.mark.parametrize(("text", "expected"), [
    ("key=choice(1,2)", CategoricalDistribution([1, 2])),
    ("key=choice(true, false)", CategoricalDistribution([True, False])),
    ("key=choice('hello', 'world')", CategoricalDistribution(["hello", "world"])),
    ("key=shuffle(range(1,3))", CategoricalDistribution([1, 2])),
    ("key=range(1,3)", IntDistribution(1, 3)),
    ("key=interval(1, 5)", FloatDistribution(1, 5)),
    ("key=int(interval(1, 5))", IntDistribution(1, 5)),
    ("key=tag(log, interval(1, 5))", FloatDistribution(1, 5, log=True)),
    ("key=tag(log, int(interval(1, 5)))", IntDistribution(1, 5, log=True)),
    ("key=range(0.5, 5.5, step=1)", FloatDistribution(0.5, 5.5, step=1)),
])
def test_each_override_text_is_the_distribution_the_plugin_builds(text, expected):
    found = distribution(OverridesParser.create().parse_overrides([text])[0])
    if isinstance(expected, CategoricalDistribution):  # (shuffle: any order)
        assert isinstance(found, CategoricalDistribution) and set(found.choices) == set(expected.choices)
    else:
        assert found == expected


@pytest.mark.parametrize(("texts", "sampled", "fixed"), [
    (["key=choice(1,2)"], {"key": CategoricalDistribution([1, 2])}, []),
    (["key=5"], {}, ["key=5"]),
    (["key1=choice(1,2)", "key2=5"], {"key1": CategoricalDistribution([1, 2])}, ["key2=5"]),
    (["key1=choice(1,2)", "key2=5", "key3=range(1,3)"],
     {"key1": CategoricalDistribution([1, 2]), "key3": IntDistribution(1, 3)}, ["key2=5"]),
])
def test_sampled_and_fixed_keys_split_as_the_plugin_splits_them(texts, sampled, fixed):
    space = search_space(None, texts)
    assert (space.distributions, space.fixed) == (sampled, fixed)


def sweeper_of(*overrides: str) -> dict:
    cfg = compose_config(["hparams_search=optuna", *overrides], return_hydra_config=True)
    return OmegaConf.to_container(cfg.hydra.sweeper, resolve=True)


@pytest.mark.parametrize(("group", "name"), [("tpe", "tpe"), ("random", "random"), ("nsgaii", "nsga2"),
                                             ("cmaes", "cmaes")])
def test_the_plugins_sampler_group_and_seed_choose_the_same_sampler(group, name):
    settings = SearchSettings.of_sweeper(sweeper_of(f"hydra/sweeper/sampler={group}", "hydra.sweeper.sampler.seed=123"))
    assert (settings.sampler, settings.seed) == (name, 123)
    # a _target_ with the sampler's own arguments: those arguments reach the sampler
    spelled = SearchSettings.of_sweeper(sweeper_of("+hydra.sweeper.sampler._target_=optuna.samplers.TPESampler",
                                                   "+hydra.sweeper.sampler.n_startup_trials=4"))
    assert (spelled.sampler, spelled.sampler_options, spelled.seed) == ("tpe", {"n_startup_trials": 4}, 0)


def test_the_plugins_spellings_pass_the_preflight_as_written(tmp_path, monkeypatch):
    """Once "16.0 — must be an integer" and a ValueError traceback (issue 35)."""
    monkeypatch.chdir(tmp_path)
    assert preflight_error(["-m", "hparams_search=optuna", "hydra/sweeper/sampler=random",
                            "hydra.sweeper.sampler.seed=123", "hydra.sweeper.direction=maximize",
                            "trainer.batch_size=int(interval(16, 64))",
                            "trainer.epochs=shuffle(range(1, 4))"]) == ""


def test_a_direction_that_agrees_is_accepted_one_that_does_not_is_one_line():
    assert SearchSettings.of_sweeper(sweeper_of("hydra.sweeper.direction=maximize")).directions == ["maximize"]
    two = sweeper_of("objective=[val_accuracy,parameters]", "hydra.sweeper.direction=[maximize,maximize]",
                     "hparams_search.sampler=nsga2")
    with pytest.raises(Exception, match=r"^hydra.sweeper.direction=\[maximize,maximize\] — kexp takes the "
                                        r"direction from the objective \(val_accuracy is maximised, parameters "
                                        r"is minimised"):
        SearchSettings.of_sweeper(two)


def test_what_kexp_does_otherwise_is_one_line_naming_what_to_write(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = ["-m", "hparams_search=optuna"]
    assert preflight_error([*base, "hydra.sweeper.direction=minimize"]) == (
        "kexp: config error: hydra.sweeper.direction=minimize — kexp takes the direction from the objective "
        "(val_accuracy is maximised; losses are minimised, everything else maximised): choose the objective "
        "instead, e.g. objective=val_loss to minimise")
    assert preflight_error([*base, "hydra.sweeper.custom_search_space=mypkg.space"]).startswith(
        "kexp: config error: hydra.sweeper.custom_search_space=mypkg.space — kexp's search space is "
        "hydra.sweeper.params")
    assert preflight_error(["-m", "hydra/sweeper=optuna"]).startswith(
        "kexp: config error: hydra/sweeper=optuna — kexp's search is chosen with hparams_search=optuna")
    assert preflight_error([*base, "+hydra.sweeper.sampler._target_=optuna.samplers.QMCSampler"]).startswith(
        "kexp: config error: hydra.sweeper.sampler._target_=optuna.samplers.QMCSampler — one of "
        "optuna.samplers.TPESampler")
    assert "unknown key 'search_space'" in preflight_error([*base, "hydra.sweeper.search_space={}"])
    assert preflight_error([*base, "+hydra.sweeper.search_space={}"]).startswith(  # (added: nothing reads it)
        "kexp: config error: hydra.sweeper.search_space — not a setting of the Optuna search")
