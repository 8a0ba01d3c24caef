"""Two-phase fine-tuning of model=backbone: what each phase trains, history and curves across the
phases, and a run stopped in either phase resuming in the right one (through python -m kexp)."""

import keras
import numpy as np
import pandas as pd
import pytest

from tests.conftest import kexp_in_process, preflight_error, run_in_process, write_image_tree

FINE_TUNE = ["data=folder", "data.image_size=[32,32]", "model=backbone", "model.weights=null",
             "trainer.epochs=3", "trainer.batch_size=8", "trainer.fine_tune.freeze_epochs=1",
             "trainer.deterministic=true", "optimizer.learning_rate=0.01"]


class Snapshots(keras.callbacks.Callback):
    """Copies of the backbone's and the head's weights when each fit starts and after each epoch."""

    taken: list = []

    def on_train_begin(self, logs=None):
        self._take("begin")

    def on_epoch_end(self, epoch, logs=None):
        self._take(epoch + 1)

    def _take(self, when):
        backbone = self.model.get_layer("backbone")
        Snapshots.taken.append((when, {w.path: keras.ops.convert_to_numpy(w).copy() for w in backbone.weights},
                                [w.copy() for w in self.model.get_layer("predictions").get_weights()]))


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return write_image_tree(tmp_path_factory.mktemp("fine_tune") / "photos", per_class=12)


@pytest.fixture(scope="module")
def reference(photos, tmp_path_factory):
    """An uninterrupted run in this process, its weights recorded at every step."""
    run_dir = tmp_path_factory.mktemp("reference")
    Snapshots.taken = []
    row = run_in_process([*FINE_TUNE, f"data.path={photos}",
                          f"trainer.callbacks=[{{_target_: {__name__}.Snapshots}}]"], run_dir)
    return run_dir, row, list(Snapshots.taken)


def changed(before: dict, after: dict, kind: str) -> set:
    """The paths of the ``kind`` weights (moving statistics or the rest) that differ."""
    stats = ("moving_mean", "moving_variance")
    chosen = [p for p in before if any(s in p for s in stats) == (kind == "statistics")]
    return {p for p in chosen if not np.array_equal(before[p], after[p])}


def test_phase_one_trains_the_head_only_and_phase_two_the_backbone(reference):
    run_dir, row, taken = reference
    assert [when for when, _, _ in taken] == ["begin", 1, "begin", 2, 3]
    (_, start, head0), (_, after1, head1), _, (_, after2, _), _ = taken
    assert changed(start, after1, "weights") == set()  # phase 1: the backbone frozen...
    assert changed(start, after1, "statistics") == set()  # ...its BatchNorm statistics too
    assert not np.array_equal(head0[0], head1[0])  # ...and the new head learns
    kernels = changed(after1, after2, "weights")
    assert len(kernels) > 50  # phase 2: the backbone's weights move
    assert changed(after1, after2, "statistics") == set()  # BN stays in inference mode (the guide's recipe)
    gammas = {p for p in after1 if p.endswith("/gamma")}
    assert gammas and not (kernels & gammas)  # BN layers stay frozen in phase 2
    assert row["status"] == "ok" and row["epochs"] == 3


def test_history_model_txt_and_curves_show_the_phases(reference):
    run_dir, _, _ = reference
    history = pd.read_csv(run_dir / "history.csv")
    assert history["phase"].tolist() == [1, 2, 2]
    assert history["learning_rate"].tolist() == pytest.approx([0.01, 0.001, 0.001])
    summary = (run_dir / "model.txt").read_text()
    phases = [line.strip() for line in summary.splitlines() if line.strip().startswith("phase ")]
    backbone = keras.applications.MobileNetV3Small(include_top=False, weights=None, input_shape=(32, 32, 3))
    head = 576 * 3 + 3
    frozen_in_phase_2 = sum(layer.count_params() for layer in backbone.layers  # BN: gamma, beta, statistics
                            if isinstance(layer, keras.layers.BatchNormalization))
    assert phases == [f"phase 1, epochs 1-1, learning rate 0.01: {head:,} trainable, "
                      f"{backbone.count_params():,} frozen parameters",
                      f"phase 2, epochs 2-3, learning rate 0.001: {backbone.count_params() + head - frozen_in_phase_2:,} "
                      f"trainable, {frozen_in_phase_2:,} frozen parameters"]
    assert (run_dir / "curves.png").stat().st_size > 10_000


def test_a_run_stopped_in_either_phase_resumes_in_the_right_one(reference, photos, tmp_path):
    """SIGTERM after epoch 1 (the end of phase 1), then after epoch 2 (in phase 2): three starts of
    python -m kexp end with the history and model of the uninterrupted run. (In this process: its
    reference already turned TensorFlow's op determinism on here; the signals reach kexp's guard.)"""
    signals = [f"{{_target_: tests.callbacks.SignalAfterEpoch, epoch: {e}, flag: '{tmp_path / f'sent{e}'}'}}"
               for e in (1, 2)]
    args = [*FINE_TUNE, f"data.path={photos}", f"trainer.callbacks=[{','.join(signals)}]", "hydra.run.dir=run"]
    codes = [kexp_in_process(args, tmp_path) for _ in range(3)]
    assert [c.returncode for c in codes] == [143, 143, 0], codes[-1].stderr[-2000:]
    run_dir, reference_row, _ = reference
    ours = pd.read_csv(tmp_path / "run" / "history.csv").drop(columns=["epoch_seconds"])
    theirs = pd.read_csv(run_dir / "history.csv").drop(columns=["epoch_seconds"])
    pd.testing.assert_frame_equal(ours, theirs, rtol=1e-5)
    log = (tmp_path / "run" / "kexp.log").read_text()
    assert log.count("fine-tuning: phase 2 from epoch 2") == 1  # the switch made once, on the rerun
    assert "resuming after epoch 1" in log and "resuming after epoch 2" in log
    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert model.get_layer("backbone").trainable  # saved as phase 2 left it
    metrics = pd.read_csv(tmp_path / "run" / "metrics.csv").iloc[0]
    assert metrics["test_accuracy"] == pytest.approx(reference_row["test_accuracy"], abs=1e-6)


@pytest.mark.parametrize("overrides, message", [
    (["trainer.fine_tune.freeze_epochs=2"], "trainer.fine_tune.freeze_epochs=2 — needs model=backbone"),
    (["model=backbone", "trainer.fine_tune.freeze_epochs=2", "schedule=cosine"], "works with schedule=constant"),
    (["model=backbone", "trainer.fine_tune.freeze_epochs=2", "regularization.early_stopping.patience=2"],
     "early stopping would end phase 1 early"),
    (["model=backbone", "trainer.fine_tune.unfreeze_layers=0"], "trainer.fine_tune.unfreeze_layers=0 — must be null"),
    (["model=backbone", "model.pooling=median"], "model.pooling=median — must be one of avg, max"),
])
def test_bad_fine_tuning_settings_are_one_line(overrides, message):
    assert message in preflight_error(overrides)  # (composed and validated, as the command line does)
