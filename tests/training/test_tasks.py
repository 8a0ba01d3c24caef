"""The ``task`` group: output layer, loss, metrics and targets, checked by value."""

import keras
import numpy as np
import pandas as pd
import pytest

from kexp.data import load_data
from kexp.config.errors import ConfigError
from kexp.training.tasks import Task, check_task_fits_data, epoch_logs
from tests.conftest import TINY_CNN, compose_config, run_in_process, typed_config

#: history.csv's columns that are kexp's, not Keras's logs.
KEXP_COLUMNS = {"epoch", "learning_rate", "epoch_seconds"}
TINY_RUN = [*TINY_CNN, "data.train_size=200", "data.test_size=100", "trainer.save_model=false"]


def test_each_task_chooses_its_output_loss_and_metrics():
    multiclass, binary, regression = (Task(n) for n in ("multiclass", "binary", "regression"))
    assert (multiclass.output_activation, multiclass.output_units(10)) == ("softmax", 10)
    assert (binary.output_activation, binary.output_units(10)) == ("sigmoid", 1)
    assert (regression.output_activation, regression.output_units(0)) == ("linear", 1)
    assert multiclass.loss() == "sparse_categorical_crossentropy"
    assert isinstance(binary.loss(), keras.losses.BinaryCrossentropy)
    assert regression.loss() == "mean_squared_error"
    assert [m.name for m in binary.metrics()] == ["accuracy", "auc"]
    assert [m.name for m in regression.metrics()] == ["mae"]


def test_label_smoothing_comes_from_the_regularization_group():
    cfg = typed_config(["regularization.label_smoothing=0.1"])
    task = Task.from_settings(cfg.task, cfg.regularization.label_smoothing)
    assert task.label_smoothing == 0.1 and task.loss().label_smoothing == 0.1


def test_binary_maps_labels_one_vs_rest():
    data = load_data(typed_config(["data.train_size=200"]).data, seed=0)
    binary = Task("binary", positive_class=3).prepare(data)
    assert set(np.unique(binary.y_train)) == {0.0, 1.0}
    np.testing.assert_array_equal(binary.y_test, (data.y_test == 3).astype("float32"))
    with pytest.raises(ConfigError, match=r"task.positive_class=null — data=digits has 10 classes"):
        Task("binary").prepare(data)
    with pytest.raises(ConfigError, match=r"task.positive_class=12 — must be a label of data=digits: 0..9"):
        Task("binary", positive_class=12).prepare(data)


def test_a_task_that_does_not_fit_the_data_is_a_clear_error():
    with pytest.raises(ConfigError, match="task=regression needs numeric targets, but data=digits has "
                                          "data.target_type=labels — use task=multiclass or task=binary"):
        check_task_fits_data("regression", "labels", "digits")
    with pytest.raises(ConfigError, match="task=multiclass needs class labels, but data=diabetes"):
        check_task_fits_data("multiclass", "numbers", "diabetes")
    with pytest.raises(ConfigError, match="regularization.label_smoothing=0.1 — applies to classification"):
        Task.from_settings(typed_config(["task=regression", "data=diabetes"]).task, label_smoothing=0.1)


def test_binary_run_records_accuracy_and_auc(tmp_path):
    row = run_in_process([*TINY_RUN, "trainer.epochs=3", "task=binary", "task.positive_class=3"],
                         tmp_path)
    history = pd.read_csv(tmp_path / "history.csv")
    assert {"accuracy", "auc", "val_accuracy", "val_auc"} <= set(history.columns)
    # what a monitor may name (checked before the run) is what Keras logged, besides kexp's own columns
    assert set(history.columns) - set(epoch_logs("binary")) == KEXP_COLUMNS
    assert 0 <= row["test_auc"] <= 1 and row["status"] == "ok"
    per_class = pd.read_csv(tmp_path / "per_class.csv")
    assert per_class["class"].tolist() == [0, 1] and per_class["support"].sum() == 100


def test_regression_on_diabetes_learns_in_the_datas_units(tmp_path):
    row = run_in_process(["data=diabetes", "model=mlp", "task=regression", "trainer.epochs=15",
                          "optimizer.learning_rate=0.003", "trainer.save_model=false"], tmp_path)
    history = pd.read_csv(tmp_path / "history.csv")
    assert {"mae", "val_mae"} <= set(history.columns) and "accuracy" not in history
    assert set(history.columns) - set(epoch_logs("regression")) == KEXP_COLUMNS
    # Targets span 25..346 (std ≈ 77): predicting the mean gives MAE ≈ 65.
    assert history["mae"].iloc[-1] < 50 and row["test_mae"] < 60
    assert "target_scale" in (tmp_path / "model.txt").read_text()
    assert not (tmp_path / "per_class.csv").exists()
