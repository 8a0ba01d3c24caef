"""Streamed data end to end through ``python -m kexp`` (TensorFlow's tf.data path; the
PyDataset path of other backends: tests/backends/test_jax.py), and the pieces it feeds."""

import numpy as np
import pytest
import pandas as pd

from kexp.data import ImageFiles, Split
from kexp.data.images import LazyRows
from tests.conftest import TINY_CNN, run_kexp, write_image_tree


def test_image_files_decode_to_the_asked_size_and_channels(image_tree):
    paths = np.array(sorted(str(p) for p in image_tree.rglob("*.*")))
    rgb = ImageFiles(paths, (16, 12), "rgb").load([0, 1])
    grey = ImageFiles(paths, (16, 12), "grayscale", crop_to_aspect_ratio=True)[[0, 1, 2]].load()
    assert rgb.shape == (2, 16, 12, 3) and grey.shape == (3, 16, 12, 1)
    assert rgb.dtype == np.float32 and 0 <= rgb.min() and rgb.max() <= 1 and rgb.max() > 0.6


def test_lazy_rows_read_only_the_rows_asked_for(tmp_path):
    base = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype="uint8", shape=(10, 4, 4))
    base[:] = np.arange(10, dtype="uint8")[:, None, None] * 20
    rows = LazyRows(np.load(tmp_path / "x.npy", mmap_mode="r"), np.arange(10), scale=255.0)[[7, 2]]
    assert rows.shape == (2, 4, 4, 1) and len(Split(rows, np.zeros(2)).take([1])) == 1
    assert rows.load().reshape(2, -1)[:, 0] == pytest.approx([140 / 255, 40 / 255])


def test_a_folder_trains_end_to_end_with_a_disk_cache_and_a_bad_image_skipped(tmp_path):
    photos = write_image_tree(tmp_path / "photos", per_class=10)
    (photos / "dog" / "broken.png").write_bytes((photos / "dog" / "000.png").read_bytes()[:80])
    cache = tmp_path / "cache"
    args = [*TINY_CNN, "data=folder", f"data.path={photos}", "data.image_size=[24,24]",
            "data.cache=disk", f"data.cache_dir={cache}", "data.on_bad_image=skip", "task=binary",
            "task.positive_class=dog", "trainer.class_weight=balanced", "trainer.epochs=2",
            "hydra.run.dir=run"]
    result = run_kexp(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "run"
    log = (run / "kexp.log").read_text()
    assert "1 of" in log and "broken.png" in log and "left out" in log
    # 31 files, one broken: 30 decoded into the cache (uint8, 24x24x3), split 21 / 3 / 6
    cached = {p.name.split("-")[0]: np.load(p, mmap_mode="r") for p in cache.glob("*.npy")}
    assert {k: v.shape for k, v in cached.items()} == {
        "train": (21, 24, 24, 3), "val": (3, 24, 24, 3), "test": (6, 24, 24, 3)} or \
        sum(len(v) for v in cached.values()) == 30
    assert all(v.dtype == np.uint8 for v in cached.values())
    assert pd.read_csv(run / "classes.csv")["name"].tolist() == ["not dog", "dog"]
    per_class = pd.read_csv(run / "per_class.csv")
    assert per_class["name"].tolist() == ["not dog", "dog"] and per_class["support"].sum() == \
        sum(len(v) for k, v in cached.items() if k == "test")
    assert pd.read_csv(run / "history.csv")["epoch"].tolist() == [1, 2]
    assert pd.read_csv(run / "metrics.csv")["status"].iloc[0] == "ok"
    again = run_kexp([*args[:-1], "hydra.run.dir=again"], tmp_path)  # the cache is reused
    assert again.returncode == 0 and "decoding" not in (tmp_path / "again" / "kexp.log").read_text()


def test_a_bad_image_stops_the_run_with_one_line_naming_it(tmp_path):
    photos = write_image_tree(tmp_path / "photos", per_class=4)
    (photos / "owl" / "zz.jpg").write_bytes(b"not an image at all")
    result = run_kexp([*TINY_CNN, "data=folder", f"data.path={photos}", "data.image_size=[16,16]",
                       "trainer.epochs=1", "hydra.run.dir=run"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"kexp: data error: {photos / 'owl' / 'zz.jpg'} — cannot be decoded as an image (")
    assert not (tmp_path / "run" / "metrics.csv").exists()
