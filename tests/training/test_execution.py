"""``trainer.steps_per_execution``: ``auto`` runs several batches per compiled call and trains
exactly as one batch per call does; it stays at one where a callback must see every batch."""

import logging

import keras
import pandas as pd
import pytest

from kexp.config.errors import ConfigError
from kexp.training.execution import FEWEST_BATCHES_FOR_A_LOOP, MOST_STEPS, FitBatches, acts_every_batch, steps_per_call
from kexp.training.schedules import one_cycle
from tests.conftest import run_in_process

TINY_MLP = ["model=mlp", "model.hidden_units=[16]", "data.train_size=300", "data.test_size=60",
            "trainer.epochs=2", "trainer.batch_size=2", "trainer.deterministic=true"]


def dense_net(units: int) -> keras.Model:
    return keras.Sequential([keras.Input((784,)), keras.layers.Dense(units, activation="relu"), keras.layers.Dense(10)])


def test_auto_trains_several_batches_a_call_with_the_same_history_as_one_a_call(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="kexp"):
        auto = run_in_process(TINY_MLP, tmp_path / "auto")
    chosen = [r.getMessage() for r in caplog.records if "trainer.steps_per_execution" in r.getMessage()]
    assert len(chosen) == 1 and "(auto" in chosen[0], chosen
    steps = int(chosen[0].split(": ")[1].split()[0])
    # 270 training samples (300 less the validation split) at batch 2: 135 batches an epoch, 270 in
    # all (enough for TensorFlow's loop), and the tiny net's batch so cheap that a call would run the
    # most; on TensorFlow the largest divisor of the epoch below that (else its last call runs on
    # into the next epoch's batches: 192 an epoch were trained, and the histories differed)
    assert steps == (45 if keras.backend.backend() == "tensorflow" else MOST_STEPS), chosen
    single = run_in_process([*TINY_MLP, "trainer.steps_per_execution=1"], tmp_path / "single")
    histories = [pd.read_csv(tmp_path / name / "history.csv").drop(columns=["epoch_seconds"])
                 for name in ("auto", "single")]
    pd.testing.assert_frame_equal(*histories, check_exact=True)
    assert auto["test_accuracy"] == single["test_accuracy"] and auto["test_loss"] == single["test_loss"]


def test_auto_fills_about_the_same_compute_per_call_bounded_by_the_epoch():
    small, large = steps_per_call("auto", dense_net(8), FitBatches(32, 1024), [])[0], steps_per_call(
        "auto", dense_net(4096), FitBatches(32, 1024), [])[0]
    assert small == MOST_STEPS and 1 <= large < small
    # a 64x more expensive batch runs fewer per call; an epoch of 5 batches is one call at most
    assert steps_per_call("auto", dense_net(8), FitBatches(32, 5), [])[0] == 5
    assert steps_per_call("auto", dense_net(8), FitBatches(32 * 4096, 1024), [])[0] == 1
    assert steps_per_call(8, dense_net(8), FitBatches(32, 1024), []) == (8, "as set")


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's multi-batch loop")
def test_a_number_of_batches_a_call_that_does_not_divide_the_epoch_is_refused_on_tensorflow():
    assert steps_per_call(9, dense_net(8), FitBatches(32, 135), []) == (9, "as set")
    with pytest.raises(ConfigError) as refused:
        steps_per_call(8, dense_net(8), FitBatches(32, 135), [])
    assert str(refused.value).startswith("trainer.steps_per_execution=8 — on TensorFlow")
    assert "135 batches of an epoch (1, 3, 5, 9, 15, 27, 45, 135)" in str(refused.value)
    assert steps_per_call("auto", dense_net(8), FitBatches(32, 199), [])[0] == 1  # (a prime epoch: one a call)


def test_auto_runs_a_short_fit_one_batch_a_call_on_tensorflow_where_its_loop_would_not_pay():
    short, why = steps_per_call("auto", dense_net(8), FitBatches(32, 9, 18), [])
    long = steps_per_call("auto", dense_net(8), FitBatches(32, 9, FEWEST_BATCHES_FOR_A_LOOP), [])[0]
    assert long == 9  # (an epoch a call)
    if keras.backend.backend() == "tensorflow":
        assert short == 1 and "18 batches to train" in why and "TensorFlow" in why
    else:  # (JAX's multi-batch call is a Python loop: nothing more to compile)
        assert short == 9


class EveryBatch(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass


class EveryEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass


@pytest.mark.parametrize(("callback", "every_batch"), [
    (one_cycle(0.1, epochs=3), True),  # sets the learning rate before each batch
    (EveryBatch(), True),  # a user's batch hook
    (keras.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: None), True),
    (keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None), False),
    (EveryEpoch(), False),
    (keras.callbacks.EarlyStopping(), False),
    (keras.callbacks.TerminateOnNaN(), False),  # Keras's own: written for steps_per_execution
])
def test_auto_stays_at_one_batch_a_call_where_a_callback_acts_every_batch(callback, every_batch):
    assert acts_every_batch(callback) is every_batch
    steps, why = steps_per_call("auto", dense_net(8), FitBatches(32, 1000), [EveryEpoch(), callback])
    assert (steps == 1) is every_batch
    if every_batch:
        assert type(callback).__name__ in why and "every batch" in why
