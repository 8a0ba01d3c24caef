"""Hydra's sweep grammar as Optuna distributions, and trials back as overrides Hydra reads."""

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from kexp.config.errors import ConfigError
from kexp.search.space import search_space


def test_each_form_of_the_grammar_is_its_distribution_and_the_command_line_wins():
    params = {
        "optimizer.learning_rate": "tag(log, interval(0.0001, 0.1))",
        "regularization.dropout": "interval(0.0, 0.6)",
        "trainer.batch_size": "choice(32, 64, 128)",
        "model.depth": "range(1, 8, 3)",
        "model.width": "tag(int, log, interval(8, 64))",
        "schedule.factor": "range(0.0, 1.0, 0.25)",
        "trainer.epochs": "5",
    }
    space = search_space(params, ["trainer.batch_size=16,32", "model.activation=relu"])
    d = space.distributions
    assert d["optimizer.learning_rate"] == FloatDistribution(0.0001, 0.1, log=True)
    assert d["regularization.dropout"] == FloatDistribution(0.0, 0.6)
    assert d["trainer.batch_size"] == CategoricalDistribution([16, 32])  # the command line's, not params'
    assert d["model.depth"] == IntDistribution(1, 7, step=3)  # (1, 8] on steps of 3, as Optuna rounds it
    assert d["model.width"] == IntDistribution(8, 64, log=True)
    assert d["schedule.factor"] == FloatDistribution(0.0, 1.0, step=0.25)  # the plugin's: both ends
    assert space.fixed == ["trainer.epochs=5", "model.activation=relu"]
    assert space.grid == {"trainer.batch_size": [16, 32], "model.depth": [1, 4, 7], "schedule.factor": [0.0, 0.25, 0.5, 0.75]}


def test_a_trials_overrides_read_back_as_its_values():
    space = search_space({"a": "choice(x, 'b c', true)", "units": "choice([8],[16,32])"}, ["k=1"])
    assert space.distributions["units"] == CategoricalDistribution(["[8]", "[16,32]"])  # lists: as text
    overrides = space.overrides({"a": "b c", "lr": 0.001, "flag": True, "n": 3, "units": "[16,32]"})
    parsed = {o.key_or_group: o.value() for o in OverridesParser.create().parse_overrides(overrides)}
    assert parsed == {"a": "b c", "lr": 0.001, "flag": True, "n": 3, "units": [16, 32], "k": 1}


@pytest.mark.parametrize("value, allowed", [
    ("interval(0.5, 0.1)", "interval(low, high) with low < high"),
    ("tag(log, interval(0.0, 0.1))", "interval(low, high) with 0 < low < high for log"),
    ("range(5, 1)", "a range with at least one value"),
])
def test_a_space_optuna_cannot_sample_is_one_line(value, allowed):
    with pytest.raises(ConfigError) as error:
        search_space({"optimizer.learning_rate": value}, [])
    assert error.value.one_line().endswith(f"optimizer.learning_rate={value} — {allowed}")
