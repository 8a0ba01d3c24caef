"""A finished training is never thrown away, and bad data is found before the first epoch.

Once, a corrupt image in the test split was found only by the evaluation after the last
epoch, and the run directory — trained model and history included — was deleted.
"""

import pandas as pd

from tests.conftest import TINY_CNN, kexp_in_process, write_image_tree

FAST = [*TINY_CNN, "trainer.epochs=2", "data.train_size=150", "data.test_size=50", "hydra.run.dir=run"]


def test_a_bad_test_image_is_found_before_the_first_epoch(tmp_path):
    photos = tmp_path / "photos"
    write_image_tree(photos / "train", per_class=6)
    write_image_tree(photos / "test", per_class=2, seed=1)
    (photos / "test" / "owl" / "zz.jpg").write_bytes(b"not an image at all")
    result = kexp_in_process([*TINY_CNN, "data=folder", f"data.path={photos}", "data.image_size=[16,16]",
                              "trainer.epochs=1", "hydra.run.dir=run"], tmp_path,
                             env={"KEXP_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        f"kexp: data error: {photos / 'test' / 'owl' / 'zz.jpg'} — cannot be decoded as an image (")
    assert "epoch 1/1" not in result.stdout + result.stderr  # before training
    assert not (tmp_path / "run").exists()  # nothing trained, nothing kept
    # the good files are remembered: the next run decodes only what changed
    good = pd.read_json(tmp_path / "cache" / "decoded-images.json", typ="series")
    test_files = {str(p) for p in (photos / "test").rglob("*.*")}
    assert test_files - set(good.index) == {str(photos / "test" / "owl" / "zz.jpg")}


def test_a_failure_after_training_keeps_the_model_history_and_curves_and_the_same_command_finishes(
        tmp_path, monkeypatch):
    from kexp.config.errors import DataError

    def boom(*args, **kwargs):
        raise DataError("test split — cannot be scored (made to fail)")

    with monkeypatch.context() as patched:
        patched.setattr("kexp.reporting.evaluation.score_test_split", boom)
        failed = kexp_in_process(FAST, tmp_path)
    assert failed.returncode == 2, failed.stderr[-2000:]
    run = tmp_path / "run"
    assert "kexp: data error: test split — cannot be scored (made to fail)" in failed.stderr
    assert "the training done is kept in" in failed.stderr
    for name in ("model.keras", "history.csv", "curves.png", "model.txt"):
        assert (run / name).is_file(), name
    record = pd.read_csv(run / "metrics.csv").iloc[0]
    assert record["status"] == "failed" and "made to fail" in record["error"] and record["epochs"] == 2
    # fixed (here: no patch), the same command finishes it without training again
    again = kexp_in_process(FAST, tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "training had ended" in (run / "kexp.log").read_text()
    assert len(pd.read_csv(run / "history.csv")) == 2
    record = pd.read_csv(run / "metrics.csv").iloc[0]
    assert record["status"] == "ok" and record["test_accuracy"] == record["test_accuracy"]
