"""Run directories made by kexp before the reorganisation (tests/fixtures/legacy, commit 81a1563):
an interrupted run resumes, and a finished run's model loads and scores what it scored then.

Both were made with ``data=digits`` (the old key names ``data.test_fraction``, ``data.targets``,
``trainer.diagnostics``, ``trainer.tensorboard`` are in their stored configs)."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import kexp_in_process

LEGACY = Path(__file__).resolve().parent.parent / "fixtures" / "legacy"
#: the command line the interrupted run was started with (killed after epoch 1 of 3)
UNFINISHED_ARGS = ["model=mlp", "model.hidden_units=[16]", "trainer.epochs=3", "data.train_size=200",
                   "data.test_size=100"]


def test_an_unfinished_run_of_the_old_layout_resumes_after_its_last_epoch(tmp_path):
    run_dir = tmp_path / "unfinished_run"
    shutil.copytree(LEGACY / "unfinished_run", run_dir)
    stored = yaml.safe_load((run_dir / ".kexp" / "config.yaml").read_text())
    assert "data.test_fraction" in stored and "trainer.tensorboard" in stored  # really the old names
    first_epoch = pd.read_csv(run_dir / "history.csv")

    result = kexp_in_process([*UNFINISHED_ARGS, f"hydra.run.dir={run_dir}"], cwd=tmp_path)

    assert result.returncode == 0, result.stderr[-3000:]
    log = (run_dir / "kexp.log").read_text()
    assert "resuming after epoch 1" in log and "epoch 2/3" in log and "epoch 3/3" in log
    history = pd.read_csv(run_dir / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3]
    pd.testing.assert_frame_equal(history.iloc[:1], first_epoch)  # epoch 1 was not trained again
    record = pd.read_csv(run_dir / "metrics.csv").iloc[0]
    assert record["status"] == "ok" and record["epochs"] == 3 and (run_dir / "model.keras").is_file()
    assert not (run_dir / "backup").exists()


@pytest.mark.parametrize("saved", ["finished_run"])
def test_a_finished_run_of_the_old_layout_loads_and_scores_as_it_did(tmp_path, saved):
    from kexp.evaluate.cli import evaluate_run
    from kexp.runs.saved import finished_run_config, load_model

    run_dir = tmp_path / saved
    shutil.copytree(LEGACY / saved, run_dir)
    cfg = finished_run_config(run_dir)
    assert cfg.data.test_split == 0.2 and cfg.data.target_type == "labels" and "tensorboard" not in cfg.trainer
    model = load_model(run_dir)
    assert type(model.optimizer).__name__ == "RAdam"  # kexp's own classes come back by their names
    assert {type(layer).__name__ for layer in model.layers} >= {"ChannelPad"}

    out = evaluate_run(run_dir, [], out=tmp_path / "evaluation")

    then = pd.read_csv(run_dir / "metrics.csv").iloc[0]
    now = pd.read_csv(out / "metrics.csv").iloc[0]
    assert now["test_samples"] == 100
    assert now["test_accuracy"] == pytest.approx(then["test_accuracy"], abs=1e-6)
    assert now["test_loss"] == pytest.approx(then["test_loss"], rel=1e-4)
