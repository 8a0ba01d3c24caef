"""The ``schedule`` group: the rate functions, and the rate each epoch really used."""

import math

import pandas as pd
import pytest

from kexp.config.errors import ConfigError
from kexp.training.schedules import build_schedule, cosine_rate, exponential_rate, step_rate
from tests.conftest import TINY_CNN, compose_config, run_in_process

TINY_RUN = [*TINY_CNN, "data.train_size=100", "data.test_size=50", "trainer.save_model=false"]


def test_step_multiplies_after_each_milestone():
    rates = [step_rate(e, 0.1, milestones=[2, 4], gamma=0.1) for e in range(6)]
    assert rates == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_cosine_warms_up_linearly_then_decays_to_the_minimum():
    rates = [cosine_rate(e, 1.0, epochs=6, warmup_epochs=2, min_learning_rate=0.1) for e in range(6)]
    assert rates[:2] == pytest.approx([0.5, 1.0])
    assert rates[2:] == pytest.approx([0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * k / 4)) for k in range(4)])


def test_exponential():
    assert [exponential_rate(e, 2.0, gamma=0.5) for e in range(3)] == [2.0, 1.0, 0.5]


def test_the_yaml_interpolates_the_optimizer_rate_and_epochs():
    cfg = compose_config(["schedule=cosine", "optimizer.learning_rate=0.02", "trainer.epochs=7"])
    assert (cfg.schedule.learning_rate, cfg.schedule.epochs) == (0.02, 7)
    assert build_schedule(compose_config().schedule) is None  # constant: no callback


def test_a_bad_schedule_argument_is_a_config_error():
    with pytest.raises(ConfigError, match=r"schedule=step .* unexpected keyword argument 'bogus'"):
        build_schedule(compose_config(["schedule=step", "+schedule.bogus=1"]).schedule)


@pytest.mark.parametrize("overrides, expected", [
    (["schedule=step", "schedule.milestones=[2,3]", "schedule.gamma=0.5"],
     [1e-3, 1e-3, 5e-4, 2.5e-4]),
    (["schedule=cosine", "schedule.warmup_epochs=1"],
     [1e-3] + [1e-3 * 0.5 * (1 + math.cos(math.pi * k / 3)) for k in range(3)]),
    # min_delta 10: no epoch after the first counts as an improvement, so the rate
    # halves after epochs 2 and 3 (the logged rate is the one the epoch used).
    (["schedule=plateau", "schedule.patience=0", "schedule.factor=0.5", "schedule.min_delta=10"],
     [1e-3, 1e-3, 5e-4, 2.5e-4]),
])
def test_history_records_the_rate_each_epoch_used(tmp_path, overrides, expected):
    run_in_process([*TINY_RUN, "trainer.epochs=4", "optimizer.learning_rate=0.001", *overrides],
                   tmp_path)
    history = pd.read_csv(tmp_path / "history.csv")
    assert history["learning_rate"].tolist() == pytest.approx(expected, rel=1e-5)
