"""One training over two processes on 127.0.0.1 (JAX, CPU collectives), standing in for two machines."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd

from tests.backends.test_rendezvous import free_port
from tests.conftest import REPO, run_kexp, write_image_tree

#: 3 classes × 48 images: 48 test, 32 validation, 64 training — whole global batches of 32
RUN = ["data=folder", "data.path=photos", "data.image_size=[16,16]", "data.color_mode=grayscale",
       "data.test_split=0.3333333", "data.val_split=0.3333333", "model=mlp", "model.hidden_units=[32]",
       "trainer.epochs=3"]
JAX = {"KERAS_BACKEND": "jax"}


def test_two_processes_train_one_model_and_only_process_0_writes_its_files(tmp_path):
    """Each process feeds 16 of every global batch of 32; the history equals one process's with
    batch 32, process 0 writes every artifact, process 1's directory holds only its log."""
    write_image_tree(tmp_path / "photos", per_class=48)
    port = free_port()
    together = [*RUN, "trainer.strategy=data_parallel", "trainer.batch_size=16",
                f"trainer.distributed.coordinator=127.0.0.1:{port}", "trainer.distributed.num_processes=2",
                "trainer.distributed.timeout=60"]
    env = {"PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", **JAX}
    second = subprocess.Popen(
        [sys.executable, "-m", "kexp", *together, "trainer.distributed.process_id=1", "hydra.run.dir=p1"],
        cwd=tmp_path, env={**os.environ, **env}, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = run_kexp([*together, "trainer.distributed.process_id=0", "hydra.run.dir=p0"], tmp_path, env=JAX)
    out, err = second.communicate(timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode == 0, err[-3000:]
    alone = run_kexp([*RUN, "trainer.batch_size=32", "hydra.run.dir=alone"], tmp_path, env=JAX)
    assert alone.returncode == 0, alone.stderr[-3000:]

    ours, theirs = (pd.read_csv(tmp_path / d / "history.csv") for d in ("p0", "alone"))
    for column in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(ours[column], theirs[column], rtol=1e-5)
    metrics, reference = (pd.read_csv(tmp_path / d / "metrics.csv").iloc[0] for d in ("p0", "alone"))
    assert metrics["status"] == "ok" and metrics["epochs"] == 3
    np.testing.assert_allclose(metrics[["test_accuracy", "test_loss"]].astype(float),
                               reference[["test_accuracy", "test_loss"]].astype(float), rtol=1e-5)
    written = {p.name for p in (tmp_path / "p0").iterdir()}
    assert {"history.csv", "metrics.csv", "curves.png", "model.keras", "confusion_matrix.csv",
            "per_class.csv", "model.txt", "run.yaml"} <= written and "backup" not in written
    assert {p.name for p in (tmp_path / "p1").iterdir()} == {".hydra", ".kexp", "kexp.log"}
    assert {p.name for p in (tmp_path / "p1" / ".kexp").iterdir()} == {"config.yaml", "lock"}
    log0, log1 = ((tmp_path / d / "kexp.log").read_text() for d in ("p0", "p1"))
    assert "DataParallel over 2 devices: cpu:0, cpu:2048 (process 0 of 2)" in log0
    assert "process 1 of 2 feeds 16 of each global batch of 32; per epoch 2 whole batches" in log1
    assert log1.count("epoch 3/3") == 1 and "test scores in process 0's run directory" in out
    import keras

    model = keras.saving.load_model(tmp_path / "p0" / "model.keras")  # saved without the distribution
    assert model.count_params() == metrics["parameters"]


def test_a_process_whose_coordinator_never_answers_stops_with_one_line(tmp_path):
    write_image_tree(tmp_path / "photos", per_class=4)
    result = run_kexp([*RUN, "trainer.strategy=data_parallel", f"trainer.distributed.coordinator=127.0.0.1:{free_port()}",
                       "trainer.distributed.num_processes=2", "trainer.distributed.process_id=1",
                       "trainer.distributed.timeout=2", "hydra.run.dir=run"], tmp_path, env=JAX)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("kexp:")]
    assert len(lines) == 1 and "not reachable from process 1 within 2 s (Connection refused)" in lines[0]
    assert not (tmp_path / "run").exists()  # nothing half-written
