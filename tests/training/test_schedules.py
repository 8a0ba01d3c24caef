"""The ``schedule`` group: the rate functions, and the rate each epoch really used."""

import gc
import logging
import math
import os
import signal
import warnings

import keras

import pandas as pd
import pytest

from kexp.config.errors import ConfigError
from kexp.training.schedules import build_schedule, cosine_rate, exponential_rate, one_cycle_rate, step_rate
from kexp.training.signals import TrainingInterrupted
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


def test_one_cycle_rises_to_the_peak_then_falls_to_the_floor():
    rate = [one_cycle_rate(s, 100, 1.0, pct_start=0.3, div_factor=25, final_div_factor=1e4) for s in range(100)]
    assert rate[0] == pytest.approx(1 / 25)  # starts at peak / div_factor
    assert rate[29] == pytest.approx(1.0) and max(rate) == pytest.approx(1.0)  # the peak after 30 % of the steps
    assert rate[99] == pytest.approx(1 / 25 / 1e4)  # ends at the floor
    assert all(a < b for a, b in zip(rate[:29], rate[1:30])) and all(a > b for a, b in zip(rate[29:], rate[30:]))
    # half-way up the cosine (step 5 of 0..10) is the middle of the two ends
    assert one_cycle_rate(5, 22, 2.0, pct_start=0.5, div_factor=4) == pytest.approx((0.5 + 2.0) / 2)
    linear = [one_cycle_rate(s, 11, 1.0, pct_start=6 / 11, div_factor=5, anneal="linear") for s in range(6)]
    assert linear == pytest.approx([0.2, 0.36, 0.52, 0.68, 0.84, 1.0])  # a straight line up


class InterruptAtEpochEnd(keras.callbacks.Callback):
    """Ctrl-C, as the user would press it, at the end of epoch ``epoch`` (1-based)."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


def test_one_cycle_sets_the_rate_per_batch_and_resumes_on_the_same_curve(tmp_path, caplog):
    # 100 images less the 10 % validation split = 90, batch 25: 4 batches per epoch, 12 in the run
    args = [*TINY_RUN, "trainer.epochs=3", "trainer.batch_size=25", "optimizer.learning_rate=0.01",
            "schedule=one_cycle"]
    run_in_process(args, tmp_path / "whole")
    history = pd.read_csv(tmp_path / "whole" / "history.csv")
    expected = [one_cycle_rate(4 * epoch + 3, 12, 0.01) for epoch in range(3)]  # each epoch's last batch
    assert history["learning_rate"].tolist() == pytest.approx(expected, rel=1e-5)
    interrupted = tmp_path / "interrupted"
    stop = '+trainer.callbacks=[{_target_: tests.training.test_schedules.InterruptAtEpochEnd, epoch: 1}]'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(TrainingInterrupted):
            run_in_process([*args, stop], interrupted)
        gc.collect()
    assert len(pd.read_csv(interrupted / "history.csv")) == 1
    # the history's stream is closed, not left to the garbage collector ("unclosed file")
    assert [str(w.message) for w in caught if "history.stream" in str(w.message)] == []
    caplog.clear()
    caplog.set_level(logging.INFO, logger="kexp")
    run_in_process(args, interrupted)  # the rerun continues after epoch 1
    assert "resuming after epoch 1" in caplog.text
    resumed = pd.read_csv(interrupted / "history.csv")
    assert resumed["learning_rate"].tolist() == pytest.approx(expected, rel=1e-5)
