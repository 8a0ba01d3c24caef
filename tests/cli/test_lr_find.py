"""``python -m kexp.lr_find``: the files, the printed suggestion, and one-line errors before TensorFlow."""

import os
import subprocess
import sys

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, TINY_CNN


def lr_find(args, cwd, code=""):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    program = (f"import sys\n{code}\nfrom kexp.lr_find.cli import main\nrc = main({args!r})\n"
               "print('tensorflow imported:', 'tensorflow' in sys.modules)\nsys.exit(rc)\n")
    return subprocess.run([sys.executable, "-c", program], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=600)


def test_lr_find_writes_the_curves_the_plot_and_prints_a_command_to_train_with(tmp_path):
    done = lr_find([*TINY_CNN, "data.train_size=200", "--repeats", "2", "--steps", "40", "--out", "found"], tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "found"
    curves = pd.read_csv(out / "lr_find.csv")
    summary = yaml.safe_load((out / "lr_find.yaml").read_text())
    assert list(curves.columns) == ["repeat", "seed", "step", "learning_rate", "loss", "smoothed_loss"]
    assert curves.groupby("repeat")["seed"].first().tolist() == [0, 1]  # seed, seed + 1
    first = curves[curves["repeat"] == 1]
    assert first["learning_rate"].iloc[0] == pytest.approx(1e-7) and len(first) <= 40
    assert np.all(np.diff(first["learning_rate"]) > 0)  # exponential growth, batch by batch
    assert summary["repeats"] == 2 and len(summary["suggestions"]) == 2
    assert 1e-7 < summary["suggestion"] < 10
    assert matplotlib.image.imread(out / "lr_find.png").shape[:2] == (450, 800)
    rate = f"{summary['suggestion']:.3g}"
    assert f"kexp: suggested optimizer.learning_rate={rate} (repeats" in done.stdout
    assert (f"kexp: to train with it: python -m kexp 'model.filters=[8,16]' 'model.dense_units=[32]' "
            f"data.train_size=200 optimizer.learning_rate={rate}") in done.stdout


@pytest.mark.parametrize("args, message", [
    (["model=nope"], "kexp: config error: model=nope — unknown option; available: "),
    (["optimizer.learning_rate=find"], "optimizer.learning_rate=find — the range test varies the rate itself"),
    (["model=cnn,mlp"], "model=cnn,mlp — the range test takes one value per key (it tests one config)"),
    (["--start", "1", "--end", "0.1"], "--start 1 --end 0.1 — need 0 < start < end, e.g. 1e-7 and 10"),
    (["--steps", "3"], "--steps 3 — must be at least 10 batches"),
    (["trainer.epochs=0"], "kexp: config error: trainer.epochs=0 — must be an integer ≥ 1"),
    (["model=[cnn"], "model=[cnn — not a valid override"),
])
def test_bad_input_is_one_line_before_tensorflow_and_leaves_nothing(tmp_path, args, message):
    done = lr_find([*args, "--out", "x"], tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
    assert "tensorflow imported: False" in done.stdout
    assert not (tmp_path / "x").exists() and not (tmp_path / "outputs").exists()


def test_a_missing_data_folder_is_one_line_and_leaves_nothing(tmp_path):
    done = lr_find(["data=folder", f"data.path={tmp_path / 'none'}", "--out", "x"], tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "x").exists()
