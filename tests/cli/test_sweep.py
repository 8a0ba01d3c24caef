"""Real sweeps (``python -m kexp -m ...``): failures do not stop them, killed sweeps resume."""

import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.conftest import TINY_CNN, kexp_in_process, kexp_with



#: Counts Hydra's compositions and the figures handed to the sweep's figure helper (printed at exit).
COUNTED = """
import atexit
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from kexp.runs import figure_helper
counts = {"compositions": 0, "figures handed over": 0}
def counted(function, name, when=lambda result: True):
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        counts[name] += bool(when(result))
        return result
    return wrapper
ConfigLoaderImpl.load_configuration = counted(ConfigLoaderImpl.load_configuration, "compositions")
figure_helper.hand_over = counted(figure_helper.hand_over, "figures handed over", lambda taken: taken)
atexit.register(lambda: print(counts))
"""


def test_a_failing_job_is_recorded_and_the_sweep_goes_on(tmp_path):
    # data.train_size=5 < 10 classes fails inside the job (after TensorFlow starts)
    result = kexp_with(COUNTED, ["-m", "optimizer=sgd,adam", "data.train_size=5,200", *TINY_CNN,
                                 "data.test_size=50", "trainer.epochs=2", "hydra.sweep.dir=sweep"], tmp_path)
    assert result.returncode == 1, result.stderr[-3000:]
    # each job composed once, by the launcher; kexp's preflight composed once per optimizer (the
    # jobs' values applied to copies) and Hydra's basic sweeper did not compose them again; + Hydra's 2
    # the two runs that trained had their curves and confusion matrix drawn by the figure helper
    assert result.stdout.splitlines()[-1] == "{'compositions': 8, 'figures handed over': 4}", result.stdout[-500:]
    for job in ("1", "3"):
        assert {"curves.png", "confusion_matrix.png"} <= {p.name for p in (tmp_path / "sweep" / job).iterdir()}
    assert not list((tmp_path / "sweep").rglob(".partial.*"))
    assert "kexp: 2 job(s) did not end ok" in result.stderr
    summary = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert summary["job"].astype(str).tolist() == ["0", "1", "2", "3"]
    assert summary[["optimizer", "data.train_size"]].astype(str).values.tolist() == [
        ["sgd", "5"], ["sgd", "200"], ["adam", "5"], ["adam", "200"]]
    assert summary["status"].tolist() == ["failed", "ok", "failed", "ok"]
    assert summary.loc[0, "error"].startswith("kexp: data error: data.train_size=5 — must be ≥")
    for name in ("summary.md", "compare_accuracy.png", "compare_loss.png", "report.html"):
        assert (tmp_path / "sweep" / name).is_file()
    markdown = (tmp_path / "sweep" / "summary.md").read_text()
    cells = [c.strip() for line in markdown.splitlines() if line.startswith("|") for c in line.split("|")]
    assert cells.count("failed") == 2
    # what the sweep left on disk, said once at its end
    written = sum(p.stat().st_size for p in (tmp_path / "sweep").rglob("*") if p.is_file())
    line = next(line for line in result.stdout.splitlines() if line.startswith("kexp: the sweep wrote"))
    assert line.startswith("kexp: the sweep wrote 4 run directories, ") and line.endswith(f" in all, in {tmp_path / 'sweep'}")
    number, unit = line.split(", ")[1].split()[:2]
    said = float(number) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]
    assert said == pytest.approx(written, rel=0.05)  # (files written after it: Hydra's last logs)


def test_a_killed_sweep_resumes_where_it_stopped(tmp_path):
    """Wherever SIGTERM lands in job 1 (training, evaluation, saving), the rerun finishes the sweep
    without repeating finished work."""
    args = ["-m", "seed=0,1,2", *TINY_CNN, "data.train_size=600",
            "data.test_size=50", "trainer.epochs=4", "hydra.sweep.dir=sweep"]
    process = subprocess.Popen([sys.executable, "-m", "kexp", *args], cwd=tmp_path, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    job1 = tmp_path / "sweep" / "1"
    deadline = time.monotonic() + 300
    while not ((job1 / "history.csv").is_file() and len(pd.read_csv(job1 / "history.csv")) >= 1):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert f"hydra.sweep.dir={tmp_path / 'sweep'}" in stderr
    first = (tmp_path / "sweep" / "0" / "metrics.csv").read_text()
    interrupted = pd.read_csv(job1 / "metrics.csv").iloc[0]
    trained = pd.read_csv(job1 / "history.csv")
    assert interrupted["status"] == "interrupted" and interrupted["epochs"] == len(trained)
    in_training = len(trained) < 4
    assert in_training or (job1 / "backup" / "trained").is_dir()  # else it stopped after training
    assert not (tmp_path / "sweep" / "2").exists()

    result = kexp_in_process(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "sweep" / "0" / "metrics.csv").read_text() == first  # skipped, not rerun
    history = pd.read_csv(job1 / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    if not in_training:  # nothing was trained twice
        pd.testing.assert_frame_equal(history, trained)
    summary = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert summary["status"].tolist() == ["ok", "ok", "ok"]
    assert "skipped" in result.stdout
