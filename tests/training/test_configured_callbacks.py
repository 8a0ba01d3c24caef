"""Callbacks from config: early stopping, checkpoints, the user's own (and the TensorBoard logger's)."""

import keras
import numpy as np
import pandas as pd
import pytest

from kexp.training.configured_callbacks import user_callbacks
from kexp.config.errors import ConfigError
from tests.conftest import TINY_CNN, compose_config, run_in_process

TINY_RUN = [*TINY_CNN, "data.train_size=100", "data.test_size=50", "trainer.save_model=false"]


class Recorder(keras.callbacks.Callback):
    """A user callback: remembers the epochs it saw, tagged with its argument."""

    seen: list = []

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag

    def on_epoch_end(self, epoch, logs=None):
        Recorder.seen.append((self.tag, epoch, round(float(logs["loss"]), 6)))


def test_a_user_callback_from_config_is_called_every_epoch(tmp_path):
    Recorder.seen = []
    run_in_process([*TINY_RUN, "trainer.epochs=3",
                    f"trainer.callbacks=[{{_target_: {__name__}.Recorder, tag: mine}}]"], tmp_path)
    history = pd.read_csv(tmp_path / "history.csv")
    assert Recorder.seen == [("mine", e, round(v, 6)) for e, v in enumerate(history["loss"])]


def test_user_callback_errors_name_the_entry():
    with pytest.raises(ConfigError, match=r"trainer.callbacks\[0\]=keras.layers.Dense — must make"):
        user_callbacks(compose_config(["trainer.callbacks=[{_target_: keras.layers.Dense, units: 1}]"])
                       .trainer.callbacks)


def test_checkpoints_tensorboard_and_early_stopping(tmp_path):
    # min_delta 100: only the first epoch counts as an improvement, so patience 1 stops after 2.
    row = run_in_process([*TINY_RUN, "trainer.save_model=true", "trainer.epochs=5",
                          "trainer.checkpoint.best=true",
                          "trainer.checkpoint.last=true", "logger=[csv,tensorboard]",
                          "regularization.early_stopping.patience=1",
                          "regularization.early_stopping.min_delta=100"], tmp_path)
    assert row["epochs"] == 2 and row["status"] == "ok"
    best = keras.saving.load_model(tmp_path / "checkpoints" / "best.keras")
    last = keras.saving.load_model(tmp_path / "checkpoints" / "last.keras")
    final = keras.saving.load_model(tmp_path / "model.keras")
    assert best.count_params() == last.count_params() == row["parameters"]
    # restore_best_weights: the final model holds epoch 1's weights, last.keras epoch 2's
    assert not any(np.array_equal(a, b) for a, b in zip(final.get_weights(), last.get_weights()))
    events = list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))
    assert {e.parent.name for e in events} == {"train", "validation"}
