"""Dataset sources: bundled digits, keras.datasets, local .npz files."""

import keras
import numpy as np
import pytest
from omegaconf import OmegaConf

from kexp.data.sources import SOURCES, check_npz, load_npz, load_source
from kexp.config.errors import DataError
from tests.conftest import typed_config, write_npz


def test_digits_is_resized_scaled_and_split_stratified():
    cfg = typed_config().data
    source = load_source(cfg, seed=0)
    x_train, y_train, x_test, y_test = source.x_train, source.y_train, source.x_test, source.y_test
    assert x_train.shape == (1437, 28, 28) and x_test.shape == (360, 28, 28)
    assert x_train.dtype == np.float32
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0 and x_train.max() > 0.9
    assert np.array_equal(np.unique(y_test), np.arange(10))
    # stratified: every class keeps its share of the test split (within one sample)
    all_counts = np.bincount(np.concatenate([y_train, y_test]))
    assert np.all(np.abs(np.bincount(y_test) - all_counts * 0.2) <= 1)
    # a sweep's jobs resize the digits once; what a job gets is its own to change
    x_train[:] = -1.0
    again = load_source(cfg, seed=0)
    assert np.array_equal(again.y_train, y_train) and again.x_train.min() == 0.0
    other = load_source(cfg, seed=1)
    assert not np.array_equal(other.y_train, y_train)
    assert np.array_equal(np.sort(np.concatenate([other.y_train, other.y_test])), np.sort(np.concatenate([y_train, y_test])))

    # [height, width], as data.image_size allows (it crashed the digits once): the same digits, each
    # side resized on its own; [8, 8] is scikit-learn's own images
    tall = load_source(typed_config(["data.image_size=[16,8]"]).data, seed=0)
    assert tall.x_train.shape == (1437, 16, 8) and np.array_equal(tall.y_train, y_train)
    from sklearn.datasets import load_digits

    own = load_source(typed_config(["data.image_size=[8,8]"]).data, seed=0)
    assert {tuple(image.ravel()) for image in own.x_train} <= {tuple(i.ravel()) for i in load_digits().images / 16.0}


def test_npz_in_keras_layout_is_loaded(tmp_path):
    path = write_npz(tmp_path / "d.npz", n_train=30, n_test=10)
    source = load_source(typed_config(["data=mnist", f"data.path={path}"]).data, seed=0)
    assert source.x_train.shape == (30, 28, 28) and source.y_test.shape == (10,)
    assert source.origin == f"data.path={path}"


@pytest.mark.parametrize("content, message", [
    ({"x_test": None, "y_test": None}, "missing arrays x_test, y_test"),
])
def test_npz_without_the_four_arrays_names_them(tmp_path, content, message):
    path = write_npz(tmp_path / "bad.npz", **content)
    with pytest.raises(DataError, match=message):
        check_npz(path)


def test_not_an_npz_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_npz(path)


def test_failed_download_points_to_data_path(monkeypatch):
    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError) as err:
        SOURCES.get("mnist")(OmegaConf.create({"name": "mnist"}), 0)
    assert "not in ~/.keras/datasets and could not be downloaded (no network)" in str(err.value)
    assert "data.path=<file.npz>" in str(err.value)


def test_all_keras_datasets_are_registered():
    assert {"digits", "mnist", "fashion_mnist", "cifar10", "cifar100"} <= set(SOURCES.names())


def test_each_source_declares_the_options_its_yaml_sets():
    """What a source reads (its declared options) is what conf/data/<name>.yaml sets; a value for
    another option is refused before anything runs (tests/config/test_validation.py)."""
    import yaml

    from kexp.config.schema.data import SOURCE_OPTIONS
    from tests.conftest import REPO

    assert {"image_size", "test_split", "color_mode", "target", "loader"} <= set(SOURCE_OPTIONS)
    for path in sorted((REPO / "conf" / "data").glob("*.yaml")):
        written = yaml.safe_load(path.read_text())
        assert {k for k in written if k in SOURCE_OPTIONS} == set(SOURCES.get(written["name"]).options), path.name
