"""The confusion matrix: counts by true and predicted class, named, and its figure."""

import matplotlib.image
import numpy as np

from kexp.reporting.confusion import confusion_table, save_confusion


def test_rows_are_true_classes_and_columns_predicted_ones(tmp_path):
    truth = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 2, 2])
    table = confusion_table(truth, predicted, ["cat", "dog", "owl"])
    assert table.loc["dog"].tolist() == [0, 2, 1] and table["dog"].tolist() == [1, 2, 0]
    assert table.index.name == "true" and table.columns.name == "predicted"
    save_confusion(table, tmp_path, title="t")
    saved = np.genfromtxt(tmp_path / "confusion_matrix.csv", delimiter=",", dtype=str)
    assert saved[0].tolist() == ["true", "cat", "dog", "owl"] and saved[2].tolist() == ["dog", "0", "2", "1"]
    height, width = matplotlib.image.imread(tmp_path / "confusion_matrix.png").shape[:2]
    assert (width, height) == (685, 535)  # (side + 1.5) x side inches, side = 4 + 0.45 · 3, at 100 dpi
    # a class never predicted and never present still has its row and column
    assert confusion_table(np.array([0]), np.array([0]), ["a", "b"]).to_numpy().tolist() == [[1, 0], [0, 0]]
