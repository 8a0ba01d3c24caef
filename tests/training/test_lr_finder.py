"""The learning-rate range test: its suggestion rule, its batch losses, its stop, and its use in a run."""

import logging
import math

import keras
import numpy as np
import pandas as pd
import pytest
import yaml

from kexp.lr_find.settings import RangeTestResult, RangeTestSettings, suggest
from kexp.lr_find.range_test import RangeTest
from kexp.training.signals import TrainingInterrupted
from tests.conftest import TINY_CNN, run_in_process


def test_the_suggestion_is_a_tenth_of_the_lowest_point_and_the_median_of_the_repeats():
    rates = np.logspace(-5, 0, 6)  # 1e-5 .. 1
    curve = pd.DataFrame({"learning_rate": rates, "smoothed_loss": [2.0, 1.9, 1.5, 1.0, 3.0, np.inf]})
    assert suggest(curve) == pytest.approx(1e-3)  # the lowest loss at 1e-2
    result = RangeTestResult(pd.DataFrame(), suggestions=[1e-4, 1e-2, 1e-3])
    assert result.suggestion == pytest.approx(1e-3)  # the geometric median
    assert result.spread == pytest.approx(100.0)


def test_each_batch_loss_is_recovered_from_the_running_mean():
    # a frozen linear model (rates of 1e-30 change nothing): every batch's mean squared error is known
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).astype("float32")
    y = rng.normal(size=(50, 1)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    w, b = model.get_weights()
    test = RangeTest(RangeTestSettings(start=1e-30, end=2e-30, steps=10), samples=50, batch_size=16)
    model.fit(x, y, batch_size=16, epochs=3, shuffle=False, callbacks=[test], verbose=0)
    errors = ((x @ w + b - y) ** 2).ravel()
    per_epoch = [errors[i:i + 16].mean() for i in range(0, 50, 16)]  # 16, 16, 16 and the last 2
    expected = (per_epoch * 3)[:10]  # stopped after 10 batches, in the third epoch
    assert [row["loss"] for row in test.rows] == pytest.approx(expected, rel=1e-4)
    assert [row["step"] for row in test.rows] == list(range(10))
    assert test.rows[-1]["learning_rate"] == pytest.approx(2e-30) and test.rows[0]["learning_rate"] == 1e-30


def test_the_test_stops_once_the_loss_is_four_times_its_minimum():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x @ np.ones((4, 1))).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    test = RangeTest(RangeTestSettings(start=1e-4, end=1e4, steps=200), samples=256, batch_size=8)
    model.fit(x, y, batch_size=8, epochs=7, callbacks=[test], verbose=0)
    smoothed = [row["smoothed_loss"] for row in test.rows]
    assert len(smoothed) < 200  # stopped before the end
    best_before = min(smoothed[:-1])
    assert not math.isfinite(smoothed[-1]) or smoothed[-1] > 4 * best_before
    assert all(s <= 4 * min(smoothed[: i + 1]) for i, s in enumerate(smoothed[:-1]))  # not earlier


def test_a_run_with_find_trains_as_with_the_found_rate_and_resumes_with_it(tmp_path, caplog):
    base = [*TINY_CNN, "data.train_size=200", "data.test_size=50", "trainer.epochs=2", "trainer.save_model=false",
            "trainer.deterministic=true", "schedule=cosine"]
    found_dir = tmp_path / "find"
    run_in_process([*base, "optimizer.learning_rate=find"], found_dir)
    summary = yaml.safe_load((found_dir / "lr_find.yaml").read_text())
    curves = pd.read_csv(found_dir / "lr_find.csv")
    assert sorted(curves["repeat"].unique()) == [1, 2, 3] and (found_dir / "lr_find.png").stat().st_size > 10_000
    per_repeat = [suggest(curve) for _, curve in curves.groupby("repeat")]
    assert summary["suggestions"] == pytest.approx(per_repeat)
    assert summary["suggestion"] == pytest.approx(10 ** np.median(np.log10(per_repeat)))
    rate = summary["suggestion"]
    run_yaml = yaml.safe_load((found_dir / "run.yaml").read_text())
    assert run_yaml["learning_rate_found"] == rate
    # the same run with that rate given: the same history (the test left the trained model alone)
    given_dir = tmp_path / "given"
    run_in_process([*base, f"optimizer.learning_rate={rate!r}"], given_dir)
    found, given = (pd.read_csv(d / "history.csv").drop(columns="epoch_seconds") for d in (found_dir, given_dir))
    pd.testing.assert_frame_equal(found, given)
    assert found["learning_rate"].iloc[0] == pytest.approx(rate)  # cosine starts from the found rate
    # interrupted after epoch 1, the rerun reuses the suggestion instead of testing again
    stopped = tmp_path / "stopped"
    stop = "+trainer.callbacks=[{_target_: tests.training.test_schedules.InterruptAtEpochEnd, epoch: 1}]"
    with pytest.raises(TrainingInterrupted):
        run_in_process([*base, "optimizer.learning_rate=find", stop], stopped)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="kexp")
    run_in_process([*base, "optimizer.learning_rate=find"], stopped)
    assert "as found when this run started" in caplog.text and "range tests from" not in caplog.text
    pd.testing.assert_frame_equal(pd.read_csv(stopped / "history.csv").drop(columns="epoch_seconds"), given)


def test_find_is_the_one_word_a_learning_rate_may_be_and_not_across_processes():
    from kexp.config.errors import ConfigError
    from kexp.config.training_checks import _check_learning_rate_find
    from tests.conftest import compose_config, preflight_error

    assert preflight_error(["optimizer.learning_rate=fnd"]) == (
        "kexp: config error: optimizer.learning_rate=fnd — must be a number > 0, or find (a learning-rate range "
        "test chooses it)")
    assert preflight_error(["optimizer.learning_rate=find", "schedule=one_cycle"]) == ""
    with pytest.raises(ConfigError, match="not with trainer.distributed.num_processes=2: run python -m kexp.lr_find"):
        _check_learning_rate_find(compose_config(["optimizer.learning_rate=find",
                                                  "trainer.distributed.num_processes=2"]))
