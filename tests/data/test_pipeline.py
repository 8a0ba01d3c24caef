"""Streamed data end to end through ``python -m kexp`` (TensorFlow's tf.data path; the
PyDataset path of other backends: tests/backends/test_jax.py): a disk cache, a bad image skipped."""

import numpy as np
import pandas as pd

from kexp.runs.pipeline import run
from tests.conftest import TINY_CNN, compose_config, kexp_in_process, typed_config, write_image_tree


def test_a_folder_trains_end_to_end_with_a_disk_cache_and_a_bad_image_skipped(tmp_path):
    photos = write_image_tree(tmp_path / "photos", per_class=10)
    (photos / "dog" / "broken.png").write_bytes((photos / "dog" / "000.png").read_bytes()[:80])
    cache = tmp_path / "cache"
    args = [*TINY_CNN, "data=folder", f"data.path={photos}", "data.image_size=[24,24]",
            "data.cache=disk", f"data.cache_dir={cache}", "data.on_bad_image=skip", "task=binary",
            "task.positive_class=dog", "trainer.class_weight=balanced", "trainer.epochs=2",
            "hydra.run.dir=run"]
    result = kexp_in_process(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = tmp_path / "run"
    log = (run_dir / "kexp.log").read_text()
    assert "1 of" in log and "broken.png" in log and "left out" in log
    # 31 files: 6 test (20 %), 2 validation (round(25 · 0.1)), 23 train, less the broken one
    cached = {p.name.split("-")[0]: np.load(p, mmap_mode="r") for p in cache.glob("*.npy")}
    assert {k: v.shape for k, v in cached.items()} == {
        "train": (22, 24, 24, 3), "val": (2, 24, 24, 3), "test": (6, 24, 24, 3)}
    assert all(v.dtype == np.uint8 for v in cached.values())
    # classes.csv: the data's own labels (kexp.evaluate renumbers other data to them); per_class: the task's
    assert pd.read_csv(run_dir / "classes.csv")["name"].tolist() == ["cat", "dog", "owl"]
    per_class = pd.read_csv(run_dir / "per_class.csv")
    assert per_class["name"].tolist() == ["not dog", "dog"] and per_class["support"].tolist() == [4, 2]
    confusion = pd.read_csv(run_dir / "confusion_matrix.csv")
    assert confusion["true"].tolist() == ["not dog", "dog"] and confusion.columns.tolist() == \
        ["true", "not dog", "dog"] and confusion[["not dog", "dog"]].to_numpy().sum() == 6
    assert pd.read_csv(run_dir / "history.csv")["epoch"].tolist() == [1, 2]
    assert pd.read_csv(run_dir / "metrics.csv")["status"].iloc[0] == "ok"
    written = {p.name: p.stat().st_mtime_ns for p in cache.glob("*.npy")}
    (tmp_path / "again").mkdir()  # another run given the same cache_dir reads it, writes nothing
    assert run(typed_config(args[:-1]), tmp_path / "again").status == "ok"
    assert {p.name: p.stat().st_mtime_ns for p in cache.glob("*.npy")} == written
