"""data=folder: the file listing, its splits and every bad layout (no image is decoded here)."""

import shutil

import numpy as np
import pytest

from kexp.data import ImageFiles, load_data
from kexp.data.folder import list_folder
from kexp.config.errors import DataError
from kexp.training.trainer import training_weights
from kexp.config.validation import validate
from kexp.config.run_settings import data_settings
from tests.conftest import compose_config, write_image_tree


def folder_config(path, *extra):
    return compose_config(["data=folder", f"data.path={path}", *extra])


def test_splits_are_drawn_from_the_files_stratified_and_the_same_on_every_rerun(image_tree):
    cfg = data_settings(folder_config(image_tree).data)
    data, again = load_data(cfg, seed=0), load_data(cfg, seed=0)
    assert data.class_names == ("cat", "dog", "owl") and data.num_classes == 3
    assert (len(data.train), len(data.val), len(data.test)) == (26, 3, 7)  # 36 files: 20 % test, 10 % of the rest val
    assert isinstance(data.train.x, ImageFiles) and data.input_shape == (64, 64, 3)
    every = np.concatenate([data.train.x.paths, data.val.x.paths, data.test.x.paths])
    assert len(set(every)) == 36  # each file in exactly one split
    assert sorted(np.bincount(data.test.y)) == [2, 2, 3]  # stratified
    for split in ("train", "val", "test"):
        assert getattr(data, split).x.paths.tolist() == getattr(again, split).x.paths.tolist()
    # labels come from the folder names
    for path, label in zip(data.train.x.paths, data.train.y):
        assert f"/{data.class_names[label]}/" in path
    assert load_data(cfg, seed=1).test.x.paths.tolist() != data.test.x.paths.tolist()


def test_sizes_imbalance_and_class_weights_work_on_the_file_list(image_tree):
    data = load_data(data_settings(folder_config(image_tree, "data.train_size=24", "data.test_size=6",
                                   "data.val_split=0", "data.imbalance={0:0.5}",
                                   "data.image_size=[20,30]", "data.color_mode=grayscale").data), seed=0)
    assert data.input_shape == (20, 30, 1) and data.val_is_test
    assert np.bincount(data.train.y).tolist() == [4, 8, 8] and len(data.test) == 6
    # balanced: n / (classes · count) from the labels of the file list
    assert sorted(set(training_weights(data, "balanced").round(3))) == [0.833, 1.667]


def test_given_train_val_test_folders_are_used_as_given(tmp_path):
    for split, count in (("train", 6), ("val", 2), ("test", 3)):
        write_image_tree(tmp_path / "flowers" / split, classes=("daisy", "rose"), per_class=count)
    names, listed = list_folder(str(tmp_path / "flowers"))
    assert names == ["daisy", "rose"] and {k: len(v.paths) for k, v in listed.items()} == \
        {"train": 12, "val": 4, "test": 6}
    data = load_data(data_settings(folder_config(tmp_path / "flowers").data), seed=0)
    assert (len(data.train), len(data.val), len(data.test)) == (12, 4, 6)
    assert all("/test/" in p for p in data.test.x.paths) and all("/val/" in p for p in data.val.x.paths)


def test_bad_folders_are_one_line_before_training(tmp_path, image_tree):
    def error(path, *extra):
        with pytest.raises(DataError) as caught:
            validate(folder_config(path, *extra))
        return str(caught.value)

    assert error(tmp_path / "nowhere") == f"data.path={tmp_path / 'nowhere'} — no such directory"
    with pytest.raises(DataError) as unset:  # data=folder without data.path: its YAML's ???
        validate(compose_config(["data=folder"]))
    assert str(unset.value) == "data.path=??? — data=folder needs data.path=PATH, where its data is (see docs/your-data.md)"
    (tmp_path / "file.txt").write_text("x")
    assert error(tmp_path / "file.txt").endswith("— not a directory")
    (tmp_path / "empty").mkdir()
    assert "has no class folders" in error(tmp_path / "empty")
    shutil.copy(image_tree / "cat" / "000.png", tmp_path / "empty" / "a.png")
    assert "has no class folders (it holds 1 images directly)" in error(tmp_path / "empty")
    one = write_image_tree(tmp_path / "one", classes=("cat",), per_class=2)
    assert error(one) == f"data.path={one} — only one class folder (cat/); classification needs at least two"
    (image_tree / "zebra").mkdir()
    assert error(image_tree) == (f"data.path={image_tree} — class folder zebra/ holds no images "
                                 "(.jpg, .jpeg, .png, .bmp, .gif); remove it or add images")
