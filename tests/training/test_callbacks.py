"""The small callbacks: history publishing, stop-on-signal, epoch-keyed randomness."""

import os
import signal

import keras
import numpy as np
import pandas as pd
import pytest

from kexp.training.callbacks import (EpochKeyedRandomness, HistoryLogger, StopOnSignal,
                            TerminateOnNaNWithoutWaiting, publish_history)
from kexp.training.signals import TrainingInterrupted, guarded


def test_publish_history_keeps_the_last_row_of_a_repeated_epoch(tmp_path):
    stream = tmp_path / "stream.csv"
    stream.write_text("epoch,loss\n1,0.9\n2,0.8\n2,0.7\n3,0.6\n")
    history = publish_history(stream, tmp_path / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3]
    assert pd.read_csv(tmp_path / "history.csv")["loss"].tolist() == [0.9, 0.7, 0.6]


def tiny_model(dropout=0.0):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(dropout), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


X = np.random.default_rng(0).random((64, 4)).astype("float32")
Y = (X[:, 0] > 0.5).astype("int64")


def test_history_logger_numbers_epochs_from_one_and_publishes_each_epoch(tmp_path):
    logger = HistoryLogger(tmp_path / ".stream.csv", tmp_path / "history.csv")
    tiny_model().fit(X, Y, epochs=3, batch_size=16, verbose=0, callbacks=[logger])
    history = pd.read_csv(tmp_path / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3] and "loss" in history


def test_stop_on_signal_raises_before_the_next_batch_and_restores_handlers():
    """Inside fit the job's stop waits for a batch boundary; outside it, it is immediate."""
    previous = signal.getsignal(signal.SIGTERM)

    class SendSignalDuringBatch(keras.callbacks.Callback):
        """Runs after StopOnSignal's check, so the signal lands while batch 1 is in flight."""

        finished: list[int] = []

        def on_train_batch_begin(self, batch, logs=None):
            if batch == 1:
                os.kill(os.getpid(), signal.SIGTERM)

        def on_train_batch_end(self, batch, logs=None):
            self.finished.append(batch)

    with pytest.raises(TrainingInterrupted, match="SIGTERM") as err:
        with guarded() as guard:
            assert signal.getsignal(signal.SIGTERM) != previous
            try:
                tiny_model().fit(X, Y, epochs=2, batch_size=16, verbose=0,
                                 callbacks=[StopOnSignal(guard), SendSignalDuringBatch()])
            finally:
                guard.deferred = False
    assert err.value.signum == signal.SIGTERM
    assert SendSignalDuringBatch.finished == [0, 1]  # batch 1 ran to its end, batch 2 never began
    assert signal.getsignal(signal.SIGTERM) == previous
    before = signal.getsignal(signal.SIGINT)  # (Python's default; ignored when started in the background)
    with pytest.raises(TrainingInterrupted, match="SIGINT"):
        with guarded():
            os.kill(os.getpid(), signal.SIGINT)  # outside fit: raised where the program is
            pytest.fail("the signal should have stopped the block")  # pragma: no cover
    assert signal.getsignal(signal.SIGINT) == before


def test_epoch_keyed_randomness_sets_each_seed_state_from_the_epoch():
    model = tiny_model(dropout=0.5)
    keyed = EpochKeyedRandomness()
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0, callbacks=[keyed])
    assert len(keyed._states) == 1
    keyed.on_epoch_begin(7)
    state = keras.ops.convert_to_numpy(keyed._states[0])
    assert state.tolist() == [keyed._seeds[0], 7 << 20]


def test_terminate_on_nan_stops_at_the_next_batch_and_says_where():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    y = np.full(len(X), 1e30, dtype="float32")  # the squared error overflows at once
    nan_check = TerminateOnNaNWithoutWaiting()
    steps = []
    counter = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: steps.append(batch))
    model.fit(X, y, epochs=3, batch_size=16, verbose=0, callbacks=[nan_check, counter])
    assert nan_check.invalid_batch == 0
    assert steps == [0, 1]  # the stop is asked for when batch 1 begins; Keras ends after it
