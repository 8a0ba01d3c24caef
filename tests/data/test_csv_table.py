"""data=csv: encoding fitted on the training rows, targets inferred, bad tables one line."""

import numpy as np
import pandas as pd
import pytest

from kexp.config.run_settings import data_settings
from kexp.data import load_data
from kexp.data.csv_table import encode_rows, fit_encoder
from kexp.config.errors import DataError
from kexp.config.validation import validate
from tests.conftest import compose_config, typed_config


def write_table(path, rows=60, **changes):
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"size": rng.uniform(10, 20, rows), "rooms": rng.integers(1, 4, rows),
                          "city": rng.choice(["lyon", "nice"], rows),
                          "churned": np.where(np.arange(rows) % 3 == 0, "yes", "no"),
                          "price": rng.uniform(100, 200, rows)})
    for column, values in changes.items():
        table[column] = values
    table.to_csv(path, index=False)
    return path


def csv_config(path, *extra):
    return compose_config(["data=csv", f"data.path={path}", *extra])


def test_the_encoder_uses_training_statistics_and_categories_only():
    train = pd.DataFrame({"x": [1.0, 3.0], "colour": ["red", "blue"]})
    encoder = fit_encoder(train, "none")
    assert encoder.get_feature_names_out().tolist() == ["x", "colour_blue", "colour_red"]
    encoded = encode_rows(encoder, pd.DataFrame({"x": [5.0], "colour": ["green"]}), "new.csv")
    assert encoded.tolist() == [[3.0, 0.0, 0.0]]  # (5 - 2) / 1, an unseen colour is all zero
    assert encoded.dtype == np.float32
    # missing values: numbers filled with the training mean, strings with the most frequent value
    gappy = pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0], "colour": ["red", None, "red", "blue"]})
    filled = encode_rows(fit_encoder(gappy, "mean"), gappy, "t.csv")
    x = np.array([1.0, 8 / 3, 3.0, 4.0])
    np.testing.assert_allclose(filled[:, 0], (x - x.mean()) / x.std(), rtol=1e-6)
    assert filled[:, 1:].tolist() == [[0, 1], [0, 1], [0, 1], [1, 0]]


def test_a_string_target_is_labels_with_names_a_numeric_one_a_number(tmp_path):
    path = write_table(tmp_path / "t.csv")
    data = load_data(data_settings(csv_config(path, "data.target=churned").data), seed=0)
    assert data.class_names == ("no", "yes") and data.num_classes == 2
    assert data.input_shape == (5,)  # size, rooms, price, city=lyon, city=nice
    assert (len(data.train), len(data.val), len(data.test)) == (43, 5, 12)
    assert np.bincount(np.concatenate([data.train.y, data.val.y, data.test.y])).tolist() == [40, 20]
    # standardised with the training rows: mean 0, std 1 there (not on the test rows)
    assert np.abs(data.train.x[:, 0].mean()) < 0.2 and data.train.x[:, 3:].sum(axis=1).max() == 1
    numbers = load_data(data_settings(csv_config(path, "data.target=price").data), seed=0)
    assert numbers.num_classes == 0 and numbers.train.y.dtype == np.float32
    labels = load_data(data_settings(csv_config(path, "data.target=rooms", "data.target_type=labels").data), seed=0)
    assert labels.class_names == ("1", "2", "3")


def test_missing_values_are_an_error_unless_filled(tmp_path):
    size = np.r_[np.nan, np.nan, np.arange(58.0)]
    path = write_table(tmp_path / "t.csv", size=size)
    with pytest.raises(DataError, match=r"^data.path=.*t.csv — column size has 2 missing values; "
                                        "clean it, or set data.fill_missing=mean or zero$"):
        validate(csv_config(path, "data.target=churned"))
    filled = load_data(data_settings(csv_config(path, "data.target=churned", "data.fill_missing=mean").data), seed=0)
    assert np.isfinite(filled.train.x).all()


@pytest.mark.parametrize("target, changes, message", [
    ("nope", {}, "data.target=nope — no such column in {path} (columns: size, rooms, city, churned, price)"),
    ("churned", {"churned": "yes"}, "data.target=churned — holds a single value (yes) in {path}; there is nothing to learn"),
])
def test_bad_tables_are_one_line_before_training(tmp_path, target, changes, message):
    path = write_table(tmp_path / "t.csv", **changes)
    with pytest.raises(DataError) as caught:
        validate(csv_config(path, f"data.target={target}"))
    assert str(caught.value) == message.format(path=path)


def test_a_csv_trains_end_to_end_with_named_classes(tmp_path):
    from tests.conftest import kexp_in_process

    path = write_table(tmp_path / "t.csv")
    result = kexp_in_process(["data=csv", f"data.path={path}", "data.target=churned", "model=mlp",
                       "model.hidden_units=[16]", "task=binary", "task.positive_class=yes",
                       "trainer.epochs=2", "hydra.run.dir=run"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "run"
    metrics = pd.read_csv(run / "metrics.csv").iloc[0]
    assert metrics["status"] == "ok" and metrics["epochs"] == 2 and 0 <= metrics["test_auc"] <= 1
    assert "data csv: train 43, validation 5, test 12, input 5, 2 classes" in (run / "kexp.log").read_text()
    per_class = pd.read_csv(run / "per_class.csv")
    # the data's own two classes (once "not yes", "yes")
    assert per_class["name"].tolist() == ["no", "yes"] and per_class["support"].tolist() == [8, 4]
    # kexp.evaluate of a binary run with named classes (once: "classes no are not among the run's classes")
    from kexp.evaluate.cli import main as evaluate

    assert evaluate([str(run), "--out", str(tmp_path / "again")]) == 0
    again = pd.read_csv(tmp_path / "again" / "metrics.csv").iloc[0]
    assert again["test_samples"] == 12 and again["test_auc"] == pytest.approx(metrics["test_auc"], abs=1e-6)


def test_sample_weights_from_a_column_and_from_a_custom_loader(tmp_path):
    """000's per-sample weighting: data.sample_weight names a CSV column (not a feature), or a loader
    returns "sample_weight"; the weights reach training, row for row."""
    from kexp.training.trainer import training_weights

    weight = np.arange(60) % 4 * 0.5
    path = write_table(tmp_path / "t.csv", importance=weight)
    plain = load_data(data_settings(csv_config(path, "data.target=churned").data), seed=0)
    data = load_data(data_settings(csv_config(path, "data.target=churned", "data.sample_weight=importance").data), seed=0)
    assert data.input_shape[0] == plain.input_shape[0] - 1  # the weight column is no feature
    from kexp.data.csv_table import _split_table

    train_rows = _split_table(data_settings(csv_config(path, "data.target=churned").data), 0)[4]
    held = np.concatenate([data.train.weights, data.val.weights])  # (validation: held out of those rows)
    assert sorted(held.tolist()) == sorted(weight[train_rows].tolist()) and len(set(held.tolist())) == 4
    assert np.array_equal(training_weights(data, "none"), data.train.weights)
    with pytest.raises(DataError, match=r"^data.sample_weight=imp — no such column in"):
        validate(csv_config(path, "data.target=churned", "data.sample_weight=imp"))
    bad = write_table(tmp_path / "bad.csv", importance=np.r_[-1.0, weight[1:]])
    with pytest.raises(DataError, match=r"^data.sample_weight=importance — column of .* must hold numbers ≥ 0"):
        validate(csv_config(bad, "data.target=churned", "data.sample_weight=importance"))
    loaded = load_data(typed_config(["data=custom", "data.loader._target_=tests.data.test_csv_table.weighted_loader",
                                       "data.val_split=0"]).data, seed=0)
    np.testing.assert_array_equal(loaded.train.weights, np.arange(20, dtype="float32") % 3)


def weighted_loader():
    x = np.random.default_rng(0).random((20, 4), dtype=np.float32)
    y = np.arange(20) % 2
    return {"train": (x, y), "test": (x[:6], y[:6]), "sample_weight": np.arange(20) % 3}
