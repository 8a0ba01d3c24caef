"""data=custom: a loader defined here is plugged in by its _target_."""

import numpy as np
import pandas as pd
import pytest

from kexp.data import load_data
from kexp.config.errors import DataError
from tests.conftest import typed_config


def load(count: int = 40, offset: float = 0.0):
    """A loader as a user writes one: arrays and class names."""
    rng = np.random.default_rng(0)
    x = rng.random((count, 6), dtype=np.float32) + offset
    y = (x[:, 0] > 0.5 + offset).astype("int64")
    return {"train": (x, y), "test": (x[:10], y[:10]), "class_names": ["low", "high"]}


def no_test():
    return {"train": (np.zeros((4, 2)), np.array([0, 1, 0, 1]))}


def test_a_loader_gets_its_arguments_and_its_splits_are_used():
    cfg = typed_config(["data=custom", f"data.loader._target_={__name__}.load",
                          "+data.loader.count=50", "data.val_split=0.2"]).data
    data = load_data(cfg, seed=0)
    assert data.class_names == ("low", "high") and data.input_shape == (6,)
    assert (len(data.train), len(data.val), len(data.test)) == (40, 10, 10)


def test_a_loader_without_a_test_split_is_one_line():
    cfg = typed_config(["data=custom", f"data.loader._target_={__name__}.no_test"]).data
    with pytest.raises(DataError, match=rf"^data.loader={__name__}.no_test — returned no test split"):
        load_data(cfg, seed=0)


def test_a_custom_loader_trains_end_to_end(tmp_path):
    from tests.conftest import kexp_in_process

    result = kexp_in_process(["data=custom", f"data.loader._target_={__name__}.load", "+data.loader.count=60",
                       "model=mlp", "model.hidden_units=[8]", "trainer.epochs=2", "hydra.run.dir=run"],
                      tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "run"
    assert pd.read_csv(run / "metrics.csv")["status"].iloc[0] == "ok"
    assert len(pd.read_csv(run / "history.csv")) == 2
    assert "data custom: train 54, validation 6, test 10, input 6, 2 classes" in (run / "kexp.log").read_text()
    assert pd.read_csv(run / "per_class.csv")["name"].tolist() == ["low", "high"]
    assert pd.read_csv(run / "classes.csv").values.tolist() == [[0, "low"], [1, "high"]]


def load_memmap(root: str):
    """A loader for data larger than memory: uint8 images memory-mapped from a .npy."""
    x = np.lib.format.open_memmap(f"{root}/x.npy", mode="w+", dtype="uint8", shape=(50, 8, 8))
    x[:] = np.arange(50, dtype="uint8")[:, None, None]
    x.flush()
    x = np.load(f"{root}/x.npy", mmap_mode="r")
    y = np.arange(50) % 2
    return {"train": (x[:40], y[:40]), "test": (x[40:], y[40:])}


def test_memory_mapped_inputs_stay_on_disk_until_a_batch_is_read(tmp_path):
    from kexp.data.images import LazyRows
    from kexp.data.prepare import read_rows

    cfg = typed_config(["data=custom", f"data.loader._target_={__name__}.load_memmap",
                          f"+data.loader.root={tmp_path}", "data.train_size=30"]).data
    data = load_data(cfg, seed=0)
    assert isinstance(data.train.x, LazyRows) and isinstance(data.train.x.base, np.memmap)
    assert data.input_shape == (8, 8, 1) and (len(data.train), len(data.val), len(data.test)) == (27, 3, 10)
    rows = read_rows(data.train.x, np.arange(3))  # pixel value = row number, scaled by 255
    assert rows.dtype == np.float32 and rows.shape == (3, 8, 8, 1)
    assert rows[:, 0, 0, 0] * 255 == pytest.approx(data.train.x.index[:3])


@pytest.mark.parametrize("target, message", [
    ("tests.data.test_cusotm.load", "tests.data has no test_cusotm"),
    (f"{__name__}.lod", f"{__name__} has no lod"),
    ("mypkg_nowhere.data.load", "no module mypkg_nowhere to import from here; run from the folder that holds "
                                "mypkg_nowhere.py (or its package), or add that folder to PYTHONPATH"),
])
def test_a_loader_that_cannot_be_imported_says_which_part_and_why(target, message):
    from tests.conftest import preflight_error

    assert preflight_error(["data=custom", f"data.loader._target_={target}"]) == (
        f"kexp: data error: data.loader._target_={target} — {message}")
