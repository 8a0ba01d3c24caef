"""task.loss: a loss of one's own, by Keras name, function or Loss class, checked on the task's output."""

import keras
import numpy as np
import pandas as pd
import pytest

from kexp.config.errors import ConfigError
from tests.conftest import TINY_CNN, compose_config, run_in_process, typed_config

TINY_RUN = [*TINY_CNN, "data.train_size=200", "data.test_size=50", "trainer.epochs=1", "trainer.save_model=false"]
CALLS = []


def squared_error_on_probabilities(y_true, y_pred):
    """A user's loss: (1 − p(true class))², per sample."""
    CALLS.append(tuple(y_pred.shape))
    y_true = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
    picked = keras.ops.take_along_axis(y_pred, keras.ops.expand_dims(y_true, -1), axis=-1)
    return keras.ops.squeeze((1.0 - picked) ** 2, -1)


def wrong_shape(y_true, y_pred):
    return keras.ops.mean(keras.ops.reshape(y_pred, (-1, 3)))


def test_a_function_of_ones_own_is_the_training_loss(tmp_path):
    CALLS.clear()
    target = f"{__name__}.squared_error_on_probabilities"
    run_in_process([*TINY_RUN, f"task.loss={{_target_: {target}}}"], tmp_path)
    history = pd.read_csv(tmp_path / "history.csv")
    assert 0 < history["loss"].iloc[0] < 1  # (1 − p)² lies in [0, 1]; cross-entropy of 10 classes starts near 2.3
    assert (2, 10) in CALLS  # checked once on the task's output shape before training


def test_keras_names_and_loss_classes_with_arguments():
    from kexp.training.tasks import Task

    assert Task.from_settings(typed_config(["task.loss=huber"]).task).loss() is keras.losses.get("huber")
    loss = Task.from_settings(typed_config(
        ["task.loss={_target_: keras.losses.CategoricalFocalCrossentropy, gamma: 3.0}"]).task).loss()
    assert isinstance(loss, keras.losses.CategoricalFocalCrossentropy) and loss.gamma == 3.0


def test_a_loss_that_does_not_fit_the_task_is_one_line():
    from kexp.training.custom_loss import check_loss, resolve_loss

    with pytest.raises(ConfigError, match=r"^task.loss=hubr — not a Keras loss name"):
        resolve_loss("hubr")
    with pytest.raises(ConfigError, match=r"^task.loss._target_=nowhere.loss — cannot be made"):
        resolve_loss({"_target_": "nowhere.loss"})
    custom = {"_target_": f"{__name__}.wrong_shape"}
    with pytest.raises(ConfigError, match=r"^task.loss=tests.training.test_custom_loss.wrong_shape — does not fit "
                                          r"task=multiclass \(integer labels \(batch,\), probabilities \(batch, 10\)\)"):
        check_loss(resolve_loss(custom), custom, "multiclass", 10)
    check_loss(resolve_loss(custom), custom, "multiclass", 3)  # 2·3 values do reshape to (-1, 3)
    assert np.isfinite(keras.ops.convert_to_numpy(keras.losses.get("huber")(np.zeros((2, 1)), np.ones((2, 1))))).all()
