"""One training over two processes on 127.0.0.1 vs one process with the same global batch (JAX).

    python benchmarks/multi_process.py [--processes 2] [--batch 64] [--per-class 256] [--epochs 3]

Writes an image folder (3 classes; split so that training and validation are
whole global batches), then runs side by side ``python -m kexp`` with
``trainer.strategy=data_parallel`` in ``--processes`` processes on this machine
(each one device, ``batch/processes`` per device, meeting at 127.0.0.1) and in
one process with ``trainer.batch_size=batch``. Prints both wall times, the
median epoch seconds, and the largest relative difference between their
histories (loss, accuracy, validation loss and accuracy) and test scores.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["loss", "accuracy", "val_loss", "val_accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64, help="the global batch")
    parser.add_argument("--per-class", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.conftest import write_image_tree

    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": str(ROOT)}
    run = ["data=folder", "data.path=photos", "data.image_size=[28,28]", "data.color_mode=grayscale",
           "data.test_split=0.25", "data.val_split=0.3333333", "model=cnn", "model.filters=[8,16]",
           "model.dense_units=[64]", f"trainer.epochs={args.epochs}", "trainer.save_model=false"]
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        root = Path(tmp)
        write_image_tree(root / "photos", per_class=args.per_class)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        together = [*run, "trainer.strategy=data_parallel", f"trainer.batch_size={args.batch // args.processes}",
                    f"trainer.distributed.coordinator=127.0.0.1:{port}",
                    f"trainer.distributed.num_processes={args.processes}"]
        started = time.perf_counter()
        processes = [subprocess.Popen([sys.executable, "-m", "kexp", *together,
                                       f"trainer.distributed.process_id={i}", f"hydra.run.dir=p{i}"],
                                      cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                     for i in reversed(range(args.processes))]
        for process in processes:
            _, err = process.communicate()
            assert process.returncode == 0, err.decode()[-2000:]
        many = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kexp", *run, f"trainer.batch_size={args.batch}",
                        "hydra.run.dir=one"], cwd=root, env=env, check=True, capture_output=True)
        one = time.perf_counter() - started
        ours, theirs = (pd.read_csv(root / d / "history.csv") for d in ("p0", "one"))
        tests = [pd.read_csv(root / d / "metrics.csv").iloc[0] for d in ("p0", "one")]
        data_line = next(line for line in (root / "one" / "kexp.log").read_text().splitlines() if "data folder" in line)
    difference = max(float(np.max(np.abs(ours[c] - theirs[c]) / np.abs(theirs[c]).clip(1e-12))) for c in COLUMNS)
    test_difference = max(abs(tests[0][c] - tests[1][c]) / abs(tests[1][c]) for c in ("test_accuracy", "test_loss"))
    print(data_line.split(" - ", 1)[1])
    print(f"{args.processes} processes × 1 device, {args.batch // args.processes} per device: {many:.1f} s wall, "
          f"{statistics.median(ours['epoch_seconds'].iloc[1:]):.3f} s per epoch (epochs 2..)")
    print(f"1 process, batch {args.batch}: {one:.1f} s wall, "
          f"{statistics.median(theirs['epoch_seconds'].iloc[1:]):.3f} s per epoch (epochs 2..)")
    print(f"wall ratio {many / one:.3f}×; largest relative difference of the histories {difference:.2e}, "
          f"of the test scores {test_difference:.2e}")


if __name__ == "__main__":
    main()
