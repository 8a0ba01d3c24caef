"""Test-split scores: per-class precision and recall from the model's predictions."""

import keras
import numpy as np
import pytest

from kexp.data import Dataset, Split
from kexp.reporting.evaluation import per_class_scores


def argmax_model(classes: int) -> keras.Model:
    """Predicts the class whose one-hot vector it is given."""
    model = keras.Sequential([keras.Input((classes,)), keras.layers.Dense(classes, activation="softmax")])
    model.layers[0].set_weights([10 * np.eye(classes, dtype="float32"), np.zeros(classes, "float32")])
    return model


def test_precision_and_recall_per_class():
    predicted = np.array([0, 0, 1, 1, 2, 2, 2, 0])
    truth = np.array([0, 0, 1, 2, 2, 2, 2, 1])
    x = np.eye(3, dtype="float32")[predicted]
    split = Split(x, truth)
    data = Dataset("t", split, split, split, num_classes=3)
    table = per_class_scores(argmax_model(3), data, batch_size=4).set_index("class")
    # class 0: predicted 3 times, 2 right; class 1: 2 true, 1 found; class 2: 4 true, 3 found
    assert table["precision"].tolist() == pytest.approx([2 / 3, 1 / 2, 1.0])
    assert table["recall"].tolist() == pytest.approx([1.0, 1 / 2, 3 / 4])
    assert table["support"].tolist() == [2, 2, 4]


def test_regression_has_no_classes():
    split = Split(np.zeros((2, 3), "float32"), np.zeros(2, "float32"))
    data = Dataset("t", split, split, split, num_classes=0)
    assert per_class_scores(argmax_model(3), data, batch_size=2) is None


@pytest.mark.parametrize("samples", [37, 600])  # called batch by batch on TensorFlow; predicted
def test_the_outputs_of_a_split_are_the_models_in_order(samples):
    from kexp.backends import predicts_by_calls
    from kexp.reporting.evaluation import outputs

    rng = np.random.default_rng(0)
    split = Split(rng.normal(size=(samples, 5)).astype("float32"), np.zeros(samples, "int64"))
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(3, activation="softmax")])
    expected = model.predict(split.x, batch_size=samples, verbose=0)  # (one batch: no slicing to get wrong)
    got = outputs(model, split, batch_size=8)
    assert got.shape == (samples, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)  # inference: dropout off
    assert predicts_by_calls(samples) == (samples == 37 and keras.backend.backend() == "tensorflow")
