"""Scores on the test split: the compiled metrics, and per class for classification."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from kexp.data import Dataset, Split
from kexp.data.pipeline import ordered_inputs


def evaluate(model: keras.Model, data: Dataset, batch_size: int) -> dict[str, float]:
    """The compiled loss and metrics on the test split, as ``test_<name>``."""
    scores = model.evaluate(**ordered_inputs(data.test, batch_size), verbose=0, return_dict=True)
    return {f"test_{k}": float(v) for k, v in scores.items()}


def predicted_labels(model: keras.Model, data: Dataset, batch_size: int) -> np.ndarray:
    """The predicted class of every test sample (binary: the sigmoid thresholded at 0.5)."""
    probabilities = outputs(model, data.test, batch_size)
    if probabilities.shape[-1] == 1:
        return (probabilities[:, 0] >= 0.5).astype("int64")
    return probabilities.argmax(axis=-1)


def outputs(model: keras.Model, split: Split, batch_size: int) -> np.ndarray:
    """The model's outputs for ``split``, in order: ``model.predict``, or, for a small split in
    memory, the model called batch by batch (:func:`kexp.backends.predicts_by_calls`)."""
    from kexp.backends import predicts_by_calls

    if not split.streamed and predicts_by_calls(len(split)):
        return np.concatenate(
            [
                keras.ops.convert_to_numpy(model(split.x[start : start + batch_size], training=False))
                for start in range(0, len(split), batch_size)
            ]
        )
    inputs = {k: v for k, v in ordered_inputs(split, batch_size).items() if k != "y"}
    return model.predict(**inputs, verbose=0)


def class_names(data: Dataset) -> list[str]:
    """The name of every class (its number where the data has no names); binary: 0 = rest, 1 = positive."""
    return [data.class_name(label) for label in range(max(data.num_classes, 2))]


def per_class_scores(
    model: keras.Model, data: Dataset, batch_size: int, predicted: np.ndarray | None = None
) -> pd.DataFrame | None:
    """Precision, recall, F1 and support per class on the test split (None for regression).

    Binary tasks threshold the sigmoid at 0.5 (classes 0 = rest, 1 = positive).
    ``name`` is the class's name (folder, CSV value) where the data has names, else its number.
    ``predicted`` (from :func:`predicted_labels`) saves predicting again.
    """
    if not data.has_class_labels:
        return None
    from sklearn.metrics import precision_recall_fscore_support

    if predicted is None:
        predicted = predicted_labels(model, data, batch_size)
    truth = data.y_test.astype("int64").reshape(-1)
    labels = np.arange(max(data.num_classes, 2))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    names = class_names(data) if data.class_names else labels
    return pd.DataFrame(
        {"class": labels, "name": names, "precision": precision, "recall": recall, "f1": f1, "support": support}
    )


def score_test_split(model: keras.Model, data: Dataset, batch_size: int, out: Path, title: str) -> dict[str, float]:
    """The test scores of ``model``; for classification also ``per_class.csv`` and the confusion
    matrix (``title`` on its figure) written into ``out``."""
    from kexp.reporting.confusion import confusion_table, save_confusion
    from kexp.runs.atomic import write_csv
    from kexp.runs.layout import PER_CLASS_FILE

    scores = evaluate(model, data, batch_size)
    if data.has_class_labels:
        predicted = predicted_labels(model, data, batch_size)
        write_csv(out / PER_CLASS_FILE, per_class_scores(model, data, batch_size, predicted))
        save_confusion(confusion_table(data.y_test.astype("int64"), predicted, class_names(data)), out, title=title)
    return scores
