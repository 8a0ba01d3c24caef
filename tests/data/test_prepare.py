"""Splitting, subsampling and scaling."""

import numpy as np
import pytest

from kexp.data import load_data
from kexp.config.errors import DataError
from tests.conftest import compose_config, typed_config, write_npz


def test_default_digits_splits():
    data = load_data(typed_config().data, seed=0)
    assert data.input_shape == (28, 28, 1)
    assert data.num_classes == 10
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (1293, 144, 360)
    assert data.train.x.dtype == np.float32 and data.y_train.dtype == np.int64


def test_train_and_test_size_subsample_stratified():
    data = load_data(typed_config(["data.train_size=200", "data.test_size=50",
                                     "data.val_split=0.2"]).data, seed=3)
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (160, 40, 50)
    assert np.bincount(data.y_val, minlength=10).min() == 4  # 40 validation images, 4 per class


def test_val_split_zero_uses_the_test_split(tiny_npz):
    data = load_data(typed_config([f"data.path={tiny_npz}", "data.val_split=0"]).data, seed=0)
    assert data.val_is_test
    assert data.val.x is data.test.x and len(data.y_train) == 120


def test_uint8_images_get_scaled_and_a_channel_axis(tiny_npz):
    data = load_data(typed_config(["data=mnist", f"data.path={tiny_npz}"]).data, seed=0)
    assert data.input_shape == (28, 28, 1)
    assert data.train.x.max() <= 1.0 and data.train.x.max() > 0.9


def test_cifar_style_column_labels_and_colour_images(tmp_path):
    rng = np.random.default_rng(0)
    path = write_npz(tmp_path / "c.npz", shape=(32, 32, 3),
                     y_train=(np.arange(120) % 10).reshape(-1, 1).astype("uint8"))
    data = load_data(typed_config(["data=cifar10", f"data.path={path}"]).data, seed=0)
    assert data.input_shape == (32, 32, 3) and data.y_train.ndim == 1


def test_length_mismatch_is_a_data_error(tmp_path):
    path = write_npz(tmp_path / "m.npz", y_train=np.zeros(7, dtype="uint8"))
    with pytest.raises(DataError, match="x_train has 120 samples but y_train has 7"):
        load_data(typed_config([f"data.path={path}"]).data, seed=0)


def test_train_size_below_class_count_is_an_error():
    with pytest.raises(DataError, match="data.train_size=5 — must be ≥ the number of classes"):
        load_data(typed_config(["data.train_size=5"]).data, seed=0)


def test_more_samples_than_there_are_is_an_error_and_exactly_all_is_all():
    """It trained on all 1,437 digits while its config (and a sweep's comparison) said 100,000."""
    count = 1797 - 360  # the digits' training split, before the validation samples are held out of it
    with pytest.raises(DataError, match=f"^data.train_size=100000 — more than the {count} training samples there "
                                        f"are; use at most {count}, or null for all$"):
        load_data(typed_config(["data.train_size=100000"]).data, seed=0)
    with pytest.raises(DataError, match="^data.test_size=9999 — more than the 360 test samples there are"):
        load_data(typed_config(["data.test_size=9999"]).data, seed=0)
    exactly = load_data(typed_config([f"data.train_size={count}"]).data, seed=0)
    np.testing.assert_array_equal(exactly.y_train, load_data(typed_config().data, seed=0).y_train)


def test_imbalance_drops_the_asked_fraction_of_training_samples_only():
    balanced = load_data(typed_config().data, seed=0)
    data = load_data(typed_config(["data.imbalance={3:0.9,5:0.5}"]).data, seed=0)
    before, after = np.bincount(balanced.y_train), np.bincount(data.y_train)
    assert after[3] == before[3] - round(before[3] * 0.9)
    assert after[5] == before[5] - round(before[5] * 0.5)
    assert np.array_equal(np.delete(after, [3, 5]), np.delete(before, [3, 5]))
    assert np.array_equal(data.y_test, balanced.y_test) and np.array_equal(data.y_val, balanced.y_val)


def test_sample_weights_come_from_the_npz_and_follow_the_split(tmp_path):
    weights = np.arange(120, dtype="float32")
    path = write_npz(tmp_path / "w.npz", w_train=weights)
    data = load_data(typed_config([f"data.path={path}", "data.sample_weight=w_train",
                                     "data.train_size=100"]).data, seed=0)
    assert len(data.train.weights) == len(data.y_train) == 90
    # every kept weight is the one of its image: x_train was random, so match rows
    raw = np.load(path)["x_train"].reshape(120, -1)
    rows = [int(np.flatnonzero((raw == (x[..., 0] * 255).round().reshape(-1)).all(axis=1))[0])
            for x in data.train.x[:5]]
    assert data.train.weights[:5].tolist() == weights[rows].tolist()
    with pytest.raises(DataError, match="data.sample_weight=nope — no such array"):
        load_data(typed_config([f"data.path={path}", "data.sample_weight=nope"]).data, seed=0)


def test_diabetes_is_a_numeric_table():
    data = load_data(typed_config(["data=diabetes", "task=regression"]).data, seed=0)
    assert data.input_shape == (10,) and not data.has_class_labels
    assert data.y_train.dtype == np.float32 and 25 <= data.y_train.min() < data.y_train.max() <= 346
    assert len(data.y_train) + len(data.y_val) + len(data.y_test) == 442


def test_pixel_scale_is_decided_once_from_the_training_split(tmp_path):
    """A float test split whose brightest pixel is ≤ 1 is scaled like the 0..255 training split."""
    from tests.conftest import write_npz

    x_test = np.full((40, 28, 28), 0.5, dtype="float32")  # dark test images, stored as floats
    x_train = np.random.default_rng(0).integers(0, 256, (120, 28, 28)).astype("float32")
    path = write_npz(tmp_path / "f.npz", x_train=x_train, x_test=x_test)
    data = load_data(typed_config(["data=mnist", f"data.path={path}", "data.val_split=0"]).data, seed=0)
    assert data.train.x.max() <= 1.0 and np.allclose(data.test.x, 0.5 / 255)
