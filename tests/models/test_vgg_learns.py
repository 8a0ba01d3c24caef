"""The mission's example command: ``python -m kexp model=vgg16 optimizer=adam`` learns.

A VGG16 epoch on the digits takes about a minute on 2 CPU cores, so the full
command (10 epochs, validation accuracy ≥ 0.90) is marked slow. The default
run covers the same path faster: tests/models/test_zoo.py builds VGG16 (its
parameter count) and trains a VGG one step, tests/runs/test_job.py runs the
command end to end with a small net.
"""

import pandas as pd
import pytest

from tests.conftest import run_kexp

COMMAND = ["model=vgg16", "optimizer=adam", "trainer.save_model=false"]


def run_vgg16(tmp_path, extra=()):
    result = run_kexp([*COMMAND, *extra, "hydra.run.dir=run"], tmp_path, timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    return pd.read_csv(tmp_path / "run" / "history.csv"), pd.read_csv(tmp_path / "run" / "metrics.csv")


@pytest.mark.slow
def test_vgg16_reaches_90_percent_with_the_default_epochs(tmp_path):
    history, metrics = run_vgg16(tmp_path)
    assert metrics["parameters"].iloc[0] == 33_637_066
    assert history["loss"].iloc[1] < history["loss"].iloc[0] < 2.31
    assert len(history) == 10
    assert metrics["best_val_accuracy"].iloc[0] >= 0.90
