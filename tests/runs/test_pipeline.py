"""One run's phases in this process: resume keeps every callback's state, a stop in evaluation
or saving loses no training, a damaged backup is one clear line.

Real signals (SIGTERM sent to this process by a callback or a patched function)
go through kexp's job-wide guard exactly as ``kill`` would; the SIGKILL and
process-level checks are in tests/training/test_trainer.py.
"""

import signal

import keras
import numpy as np
import pandas as pd
import pytest

from kexp.runs.layout import completed_epochs
from kexp.training.backup import DamagedBackupError
from kexp.runs.record import RunRecord
from kexp.runs.pipeline import run
from kexp.training.signals import TrainingInterrupted
from tests.conftest import TINY_CNN, typed_config

# Deterministic; measured: val_loss is best after epoch 6, so early stopping (patience 3)
# stops after epoch 9; the plateau schedule (patience 1) halves the rate after epochs 7 and 8;
# checkpoints/best.keras keeps epoch 6. Interrupting after epoch 7 leaves all three mid-way.
STATEFUL = [*TINY_CNN, "data.train_size=300", "data.test_size=50", "trainer.epochs=10",
            "trainer.deterministic=true", "optimizer.learning_rate=0.01", "schedule=plateau",
            "schedule.patience=1", "schedule.factor=0.5", "regularization.early_stopping.patience=3",
            "trainer.checkpoint.best=true",
            "model.kernel_initializer=glorot_uniform"]  # (the trajectory above was found with it)


def signal_after(epoch: int, flag) -> str:
    return (f"trainer.callbacks=[{{_target_: tests.callbacks.SignalAfterEpoch, epoch: {epoch}, "
            f"flag: '{flag}'}}]")


def without_timing(run_dir):
    return pd.read_csv(run_dir / "history.csv").drop(columns=["epoch_seconds"])


def weights(path):
    return keras.models.load_model(path).get_weights()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("uninterrupted")
    run(typed_config(STATEFUL), run_dir)
    return run_dir


def test_a_resumed_run_stops_decays_and_checkpoints_as_an_uninterrupted_one(tmp_path, uninterrupted):
    reference = without_timing(uninterrupted)
    assert reference["epoch"].tolist() == list(range(1, 10))  # early stopping after epoch 9
    assert reference["learning_rate"].tolist() == pytest.approx([0.01] * 7 + [0.005, 0.0025])

    cfg = typed_config([*STATEFUL, signal_after(7, tmp_path / "sent")])
    with pytest.raises(TrainingInterrupted):
        run(cfg, tmp_path)
    assert completed_epochs(tmp_path / "backup") == 7
    record = RunRecord.read(tmp_path)
    assert (record.status, record.epochs) == ("interrupted", 7)
    assert not (tmp_path / "model.keras").exists()

    assert run(cfg, tmp_path).status == "ok"  # the flag file keeps the signal from coming again
    # history, learning rates and the stopping epoch number for number (deterministic mode:
    # an interrupted and resumed run repeats an uninterrupted one exactly)
    pd.testing.assert_frame_equal(without_timing(tmp_path), reference, check_exact=True)
    # best.keras is still epoch 6's; restore_best_weights gave the final model epoch 6's weights
    for name in ("checkpoints/best.keras", "model.keras"):
        for ours, theirs in zip(weights(tmp_path / name), weights(uninterrupted / name)):
            np.testing.assert_array_equal(ours, theirs)
    assert not (tmp_path / "backup").exists() and not (tmp_path / ".history.stream.csv").exists()
    assert RunRecord.read(tmp_path).row() | {"train_seconds": 0, "images_per_second": 0} == \
        RunRecord.read(uninterrupted).row() | {"train_seconds": 0, "images_per_second": 0}


def send_sigterm(*args, **kwargs):
    import os

    os.kill(os.getpid(), signal.SIGTERM)
    raise AssertionError("the signal should have stopped the run here")  # pragma: no cover


def test_a_stop_in_evaluation_or_saving_keeps_the_training(tmp_path, monkeypatch):
    cfg = typed_config([*TINY_CNN, "data.train_size=200", "data.test_size=50", "trainer.epochs=2"])
    import kexp.reporting.evaluation

    with monkeypatch.context() as patch:  # SIGTERM while the test split is evaluated
        patch.setattr(kexp.reporting.evaluation, "evaluate", send_sigterm)
        with pytest.raises(TrainingInterrupted):
            run(cfg, tmp_path)
    history = (tmp_path / "history.csv").read_text()
    assert RunRecord.read(tmp_path).status == "interrupted" and (tmp_path / "backup" / "trained").is_dir()
    assert (tmp_path / "model.keras").is_file()  # saved before it was scored
    (tmp_path / "model.keras").unlink()

    import kexp.training.trainer

    def no_training(*args, **kwargs):
        raise AssertionError("finished epochs must not be trained again")

    monkeypatch.setattr(kexp.training.trainer, "fit", no_training)
    with monkeypatch.context() as patch:  # SIGTERM while model.keras is written
        patch.setattr(keras.Model, "save", send_sigterm)
        with pytest.raises(TrainingInterrupted):
            run(cfg, tmp_path)
    assert not list(tmp_path.glob(".model*")) and not (tmp_path / "model.keras").exists()

    record = run(cfg, tmp_path)
    assert record.status == "ok" and record.epochs == 2 and record.test_scores["test_accuracy"] >= 0
    assert (tmp_path / "history.csv").read_text() == history  # epochs kept as they were trained
    assert (tmp_path / "model.keras").is_file() and not (tmp_path / "backup").exists()


def test_a_damaged_backup_is_one_line_that_says_how_to_restart(tmp_path):
    cfg = typed_config([*TINY_CNN, "data.train_size=200", "data.test_size=50", "trainer.epochs=4",
                          signal_after(2, tmp_path / "sent")])
    with pytest.raises(TrainingInterrupted):
        run(cfg, tmp_path)
    weights_file = tmp_path / "backup" / "epoch-0002" / "latest.weights.h5"
    weights_file.write_bytes(weights_file.read_bytes()[:1000])  # as a kill mid-write would leave it
    with pytest.raises(DamagedBackupError) as err:
        run(cfg, tmp_path)
    line = err.value.one_line()
    assert line.startswith(f"kexp: backup error: {weights_file} cannot be read (")
    assert f"delete {tmp_path / 'backup'} and {tmp_path / 'history.csv'}" in line and "\n" not in line


def test_a_resumed_run_on_image_files_repeats_the_uninterrupted_one(tmp_path):
    # Files decoded while training (tf.data): the per-epoch seeded order and the
    # decoding must give a resumed run exactly the batches of an uninterrupted one.
    from tests.conftest import write_image_tree

    photos = write_image_tree(tmp_path / "photos", per_class=10)
    args = [*TINY_CNN, "data=folder", f"data.path={photos}", "data.image_size=[24,24]",
            "trainer.epochs=3", "trainer.batch_size=8", "trainer.deterministic=true"]
    for name in ("whole", "resumed"):
        (tmp_path / name).mkdir()
    run(typed_config(args), tmp_path / "whole")
    cfg = typed_config([*args, signal_after(1, tmp_path / "sent")])
    with pytest.raises(TrainingInterrupted):
        run(cfg, tmp_path / "resumed")
    assert completed_epochs(tmp_path / "resumed" / "backup") == 1
    assert run(cfg, tmp_path / "resumed").status == "ok"
    pd.testing.assert_frame_equal(without_timing(tmp_path / "resumed"), without_timing(tmp_path / "whole"),
                                  check_exact=True)
    for ours, theirs in zip(weights(tmp_path / "resumed" / "model.keras"),
                            weights(tmp_path / "whole" / "model.keras")):
        np.testing.assert_array_equal(ours, theirs)
    assert pd.read_csv(tmp_path / "resumed" / "classes.csv")["name"].tolist() == ["cat", "dog", "owl"]
