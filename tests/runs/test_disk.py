"""A full disk is one line, a failed record and an intact backup, never a crash.

The end-to-end checks mount a small tmpfs (root on Linux); where the test
cannot mount one they are skipped with the reason.
"""

import contextlib
import shutil
import subprocess
from pathlib import Path

import keras
import pandas as pd
import pytest

from kexp.runs.disk import (DiskFullError, check_free_space, disk_full_message, full_file, human,
                       is_disk_full, run_peak_bytes)
from tests.conftest import kexp_in_process, kexp_with, run_kexp

MLP = ["model=mlp", "model.hidden_units=[64]", "data.train_size=200", "data.test_size=50",
       "trainer.epochs=4", "trainer.batch_size=50"]


def test_sizes_read_as_people_write_them():
    assert [human(n) for n in (512, 12_345, 3_400_000, 2_500_000_000)] == \
        ["512 B", "12 kB", "3.4 MB", "2.5 GB"]


def test_the_estimate_counts_weights_and_optimizer_slots_at_the_peak():
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(5)])
    model.compile(keras.optimizers.Adam(), "mse")
    model.optimizer.build(model.trainable_variables)
    weights = 4 * (10 * 5 + 5)
    slots = sum(int(v.numpy().nbytes) for v in model.optimizer.variables)
    assert slots >= 2 * weights  # Adam: two moments per weight (+ its step counter)
    assert run_peak_bytes(model) == 4 * (weights + slots) + 8 * 2**20
    assert run_peak_bytes(model, checkpoints=2, early_stopping_copy=True) == \
        6 * (weights + slots) + weights + 8 * 2**20


def test_not_enough_room_is_one_line_naming_what_and_where(tmp_path):
    with pytest.raises(DiskFullError) as err:
        check_free_space(tmp_path, 10**18, "the backup of epoch 3")
    line = err.value.one_line()
    assert line.startswith(f"kexp: disk error: the backup of epoch 3 needs about 1000000.0 TB in "
                           f"{tmp_path}, but only ")
    assert "free some space (a rerun resumes)" in line


def test_a_write_that_ran_out_of_space_is_recognised_and_named(tmp_path):
    h5py_style = OSError(28, "Can't synchronously write data (file write failed: time = now, "
                             f"filename = '{tmp_path}/backup/x.weights.h5', errno = 28)")
    try:
        raise RuntimeError("while saving") from h5py_style
    except RuntimeError as wrapped:
        assert is_disk_full(wrapped) and not is_disk_full(RuntimeError("other"))
        assert full_file(wrapped, tmp_path) == f"{tmp_path}/backup/x.weights.h5"
    assert disk_full_message(str(tmp_path)).startswith(
        f"kexp: disk error: no space left on the device writing {tmp_path} (")


@contextlib.contextmanager
def small_disk(path: Path, size: str):
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'not root'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill_after(epoch: int, filler: Path, leave: int, flag: Path) -> str:
    return (f"trainer.callbacks=[{{_target_: tests.callbacks.FillDiskAfterEpoch, epoch: {epoch}, "
            f"path: '{filler}', leave: {leave}, flag: '{flag}'}}]")


def test_a_disk_that_fills_up_ends_cleanly_and_the_rerun_resumes(tmp_path):
    with small_disk(tmp_path / "disk", "24m") as disk:
        # 1. The default mlp (535,818 weights + Adam's slots) cannot fit in 24 MB: refused up front.
        refused = kexp_in_process(["model=mlp", f"hydra.run.dir={disk}/big"], tmp_path)
        assert refused.returncode == 2 and not (disk / "big").exists()
        lines = [l for l in refused.stderr.splitlines() if l.startswith("kexp:")]
        assert len(lines) == 1 and lines[0].startswith("kexp: disk error: this run (model, backups, "
                                                       "checkpoints) needs about ")
        # 2. Something else fills the disk after epoch 2: the backup of epoch 2 is refused.
        filler, run = disk / "filler", disk / "run"
        argv = [*MLP, fill_after(2, filler, 100_000, tmp_path / "filled"), f"hydra.run.dir={run}"]
        result = run_kexp(argv, tmp_path)
        assert result.returncode == 1, result.stderr[-2000:]
        line = result.stderr.strip().splitlines()[-1]
        assert line.startswith("kexp: disk error: the backup of epoch 2 needs about ")
        assert "Traceback" not in result.stderr
        record = pd.read_csv(run / "metrics.csv").iloc[0]
        assert record["status"] == "failed" and record["error"] == line
        assert sorted(p.name for p in (run / "backup").iterdir()) == ["epoch-0001"]
        # 3. The same when the write itself runs out of space (h5py; kexp's check patched out).
        filler.unlink()
        shutil.rmtree(run)
        argv = [*MLP, fill_after(2, filler, 20_000, tmp_path / "filled again"), f"hydra.run.dir={run}"]
        crashed = kexp_with("import kexp.training.backup\nkexp.training.backup.check_free_space = lambda *args: None",
                            argv, tmp_path)
        assert crashed.returncode == 1, crashed.stderr[-2000:]  # not 139: no segmentation fault
        lines = [l for l in crashed.stderr.splitlines() if l.startswith("kexp:")]
        assert len(lines) == 1 and "Traceback" not in crashed.stderr, crashed.stderr[-2000:]
        assert lines[0].startswith(f"kexp: disk error: no space left on the device writing {run}/backup/")
        assert pd.read_csv(run / "metrics.csv")["status"].iloc[0] == "failed"
        assert sorted(p.name for p in (run / "backup").iterdir()) == ["epoch-0001"]  # intact, no partial
        # 4. Space freed: the rerun resumes after epoch 1 and finishes.
        filler.unlink()
        first = pd.read_csv(run / "history.csv").iloc[0]
        done = kexp_in_process(argv, tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        history = pd.read_csv(run / "history.csv")
        assert history["epoch"].tolist() == [1, 2, 3, 4] and history.iloc[0].equals(first)
        assert pd.read_csv(run / "metrics.csv")["status"].iloc[0] == "ok"
        assert not (run / "backup").exists()
