"""Streamed image files decoded ahead by Grain's worker processes (a fit on an accelerator): the
batches, their order and resume are those of the training thread; where it is used and why not."""

import logging
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from kexp.backends import decoding_workers
from kexp.backends.batches import SplitBatches, epoch_order
from kexp.backends.decoding_workers import BatchOfFit, DecodedAhead, main_module_reimportable, worker_reason
from kexp.data import ImageFiles, Split
from kexp.data.images import BadImageError, LazyRows
from tests.backends.test_batches import fit_epochs
from tests.conftest import IMAGE_RUN, REPO, kexp_with

pytest.importorskip("grain")


@pytest.fixture
def files(image_tree) -> Split:
    paths = np.array(sorted(str(p) for p in image_tree.rglob("*.png")))
    return Split(ImageFiles(paths, (16, 16), "grayscale"), np.arange(len(paths)))  # (y: the row)


def test_worker_processes_hand_out_the_training_threads_batches_epoch_by_epoch_and_stop(files):
    """Three epochs as Keras's fit reads them (a batch to build, then the epochs), from epoch 1 (a
    resumed run): the same x and y as the training thread's, in kexp's seeded order; closing stops
    the workers."""
    alone = fit_epochs(SplitBatches(files, 8, seed=3, first_epoch=1), 3)
    ahead = SplitBatches(files, 8, seed=3, first_epoch=1)
    ahead.ahead = DecodedAhead(ahead, passes=3, workers=2)
    read_ahead = fit_epochs(ahead, 3)
    assert len(multiprocessing.active_children()) >= 2
    for epoch, ((x, y), (x_ahead, y_ahead)) in enumerate(zip(alone, read_ahead, strict=True)):
        np.testing.assert_array_equal(y, epoch_order(len(files), 3, epoch + 2))  # (epoch 1 read to build)
        np.testing.assert_array_equal(y_ahead, y)
        np.testing.assert_array_equal(x_ahead, x)
    # every batch after the build's came from the workers: all of epochs 2-4
    assert ahead.ahead.next == 5 * len(ahead)
    ahead.close()
    assert ahead.ahead is None and not multiprocessing.active_children()


def test_validation_batches_come_from_the_workers_in_order_every_pass(files):
    """Validation as Keras's fit reads it each epoch (a reset, every batch in order, the end):
    each pass the split's batches in order, every one decoded by the workers."""
    ahead = SplitBatches(files, 8)
    ahead.ahead = DecodedAhead(ahead, passes=3, workers=2)
    for _ in range(3):
        ahead.on_epoch_end()
        x, y = zip(*(ahead[i] for i in range(len(ahead))))
        ahead.on_epoch_end()
        np.testing.assert_array_equal(np.concatenate(y), np.arange(len(files)))
        np.testing.assert_array_equal(np.concatenate(x), files.x.load())
    assert ahead.ahead.next == 3 * len(ahead)
    ahead.close()


class KilledWorkers:
    """Grain's iterator once its workers are killed (what it raises then)."""

    def __next__(self):
        raise RuntimeError("Worker process was terminated unexpectedly with exit code -15. Search the logs above")

    def close(self) -> None:
        pass


def test_workers_ignore_ctrl_c_and_when_killed_the_training_thread_reads_on(files, caplog):
    """Ctrl-C reaches the whole process group: the workers leave it to the training process. Killed
    (a SIGTERM to the group), they leave the training thread to read on, the same batches."""
    caplog.set_level(logging.WARNING, logger="kexp")
    alone = SplitBatches(files, 8, seed=3, first_epoch=1)
    ahead = SplitBatches(files, 8, seed=3, first_epoch=1)
    ahead.ahead = DecodedAhead(ahead, passes=5, workers=2)

    def next_epoch() -> tuple[list, list]:
        ahead.on_epoch_end()  # (the first time as fit does after the build: epoch 2 is trained first)
        alone.on_epoch_end()
        return [ahead[i][1].tolist() for i in range(len(ahead))], [alone[i][1].tolist() for i in range(len(alone))]

    read, expected = next_epoch()
    assert read == expected and ahead.ahead.next == 3 * len(ahead)
    workers = multiprocessing.active_children()
    for worker in workers:
        os.kill(worker.pid, signal.SIGINT)
    read, expected = next_epoch()
    assert read == expected and ahead.ahead.next == 4 * len(ahead)
    assert workers and all(worker.is_alive() for worker in workers)
    ahead.ahead.close()
    assert not multiprocessing.active_children()
    ahead.ahead._iterator = KilledWorkers()
    for _ in range(2):
        read, expected = next_epoch()
        assert read == expected
    assert "training images: the worker processes stopped (Worker process was terminated unexpectedly with " \
           "exit code -15. Search the logs above); the training thread decodes the rest" in caplog.text
    assert caplog.text.count("the worker processes stopped") == 1
    ahead.close()


def test_where_workers_decode_and_why_not(files, tmp_path, monkeypatch):
    monkeypatch.setattr(decoding_workers, "free_cores", lambda: 14)
    monkeypatch.setattr(ImageFiles, "decode_seconds", 1e-3)
    assert worker_reason(files, 20_000, "gpu") is None
    assert worker_reason(files, 20_000, "cpu") == "on a CPU the cores train the model"
    assert "too little to pay" in worker_reason(files, 5_000, "gpu")  # (5 s of decoding)
    rows = Split(LazyRows(np.zeros((4, 2)), np.arange(4)), np.zeros(4))
    assert worker_reason(rows, 20_000, "gpu").startswith("rows of a memory map")
    monkeypatch.setitem(sys.modules, "grain", None)
    assert worker_reason(files, 20_000, "gpu") == "worker processes need Grain: pip install kexp[grain]"
    monkeypatch.setattr(decoding_workers, "free_cores", lambda: 1)
    assert worker_reason(files, 20_000, "gpu") == "3 cores: none to spare for worker processes"


@pytest.mark.parametrize(
    ("script", "reimportable"),
    [
        ('"""Doc."""\nimport sys, kexp\nsys.path.insert(0, ".")\ndef main():\n    kexp.api.train()\n'
         "if __name__ == '__main__':\n    main()\n", True),
        ("import kexp\nkexp.api.train()\n", False),  # (a spawned worker would train again)
        ("import kexp\nif True:\n    kexp.api.train()\n", False),
        ("import kexp\ndef main():\n    if __name__ == '__main__':\n        kexp.api.train()\nmain()\n", False),
    ],
)
def test_a_script_is_reimportable_when_its_code_runs_under_the_main_guard(script, reimportable, tmp_path,
                                                                          monkeypatch):
    path = tmp_path / "script.py"
    path.write_text(script)
    main = type(sys)("__main__")
    main.__file__ = str(path)
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert main_module_reimportable() is reimportable
    del main.__file__  # (interactive: nothing to run again)
    assert main_module_reimportable()


A_WORKERS_FIRST_BATCH = """
import pickle, sys
reader = pickle.loads(sys.stdin.buffer.read())  # (what a worker is handed, before its init)
assert "keras" not in sys.modules, "unpickling imported Keras"
from kexp.backends.decoding_workers import _start_worker
_start_worker(0)
x, y = reader(0)
import keras
print(keras.backend.backend(), "tensorflow" in sys.modules, x.shape)
"""


def test_a_worker_decodes_with_keras_on_numpy_whatever_the_training_backend(files):
    """A worker imports no Keras until its first batch, then Keras on its NumPy backend for Pillow's
    loader: a training process on TensorFlow once made every worker import TensorFlow (7 s)."""
    handed = pickle.dumps(BatchOfFit(SplitBatches(files, 8, seed=3)))
    done = subprocess.run([sys.executable, "-c", A_WORKERS_FIRST_BATCH], input=handed, capture_output=True,
                          cwd=REPO, env={**os.environ, "KERAS_BACKEND": "tensorflow", "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.decode().split() == ["numpy", "False", "(8,", "16,", "16,", "1)"]


def test_a_bad_image_raised_in_a_worker_is_the_same_one_line():
    err = BadImageError("/data/cat/1.png", OSError("truncated\nmore"))
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.path == err.path and "truncated" in str(again)


ON_A_MANY_CORE_GPU_HOST = """
import kexp.backends.jax, kexp.backends.decoding_workers as workers
kexp.backends.jax.device_kind = lambda: "gpu"  # (JAX's CPU taken for a GPU host's)
workers.free_cores = lambda: 2
workers.WORKER_START_SECONDS = 0.0
"""


def test_a_run_streaming_a_folder_on_an_accelerator_decodes_in_workers_and_trains_the_same(image_tree, tmp_path,
                                                                                         monkeypatch):
    """``python -m kexp data=folder`` with the workers: it says so, trains to the very history of the
    same run decoded in the training thread, writes every file, and leaves no worker behind."""
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    args = [*IMAGE_RUN, f"data.path={image_tree}", "trainer.epochs=3", "trainer.verbose=0"]
    ahead = kexp_with(ON_A_MANY_CORE_GPU_HOST, [*args, "hydra.run.dir=ahead"], tmp_path)
    assert ahead.returncode == 0, ahead.stderr[-3000:]
    log = (tmp_path / "ahead" / "kexp.log").read_text()
    assert "training images: decoded ahead by 2 worker processes (Grain)" in log, log[-2000:]
    assert "validation images: decoded ahead by 2 worker processes (Grain)" in log
    assert "leaked" not in ahead.stderr
    thread = kexp_with(ON_A_MANY_CORE_GPU_HOST + "workers.FEWEST_WORKERS = 3\n", [*args, "hydra.run.dir=thread"],
                       tmp_path)
    assert thread.returncode == 0, thread.stderr[-3000:]
    thread_log = (tmp_path / "thread" / "kexp.log").read_text()
    assert "training images: decoded in the training thread (4 cores: none to spare" in thread_log
    assert "validation images" not in thread_log  # (the training's line says why; validation's at debug level)
    history, threaded = (pd.read_csv(tmp_path / run / "history.csv").filter(regex="^(?!.*seconds)")
                         for run in ("ahead", "thread"))
    assert len(history.columns) > 4
    pd.testing.assert_frame_equal(history, threaded)  # (to the bit: the same batches in the same order)
    assert history["epoch"].tolist() == [1, 2, 3]
    metrics = pd.read_csv(tmp_path / "ahead" / "metrics.csv").iloc[0]
    assert metrics["status"] == "ok" and (tmp_path / "ahead" / "model.keras").is_file()
    assert os.listdir(tmp_path / "ahead")  # (every file of the run; layout tests cover the names)
