"""Keras callbacks that tests inject with ``trainer.callbacks=[{_target_: tests.callbacks....}]``.

Importable from a ``python -m kexp`` subprocess when the repository is on
``PYTHONPATH`` (``tests.conftest.run_kexp`` sets it).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import keras


class SignalAfterEpoch(keras.callbacks.Callback):
    """Send SIGTERM to this process at the end of ``epoch`` (1-based), once per ``flag`` file."""

    def __init__(self, epoch: int, flag: str) -> None:
        super().__init__()
        self.epoch, self.flag = epoch, Path(flag)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch + 1 == self.epoch and not self.flag.exists():
            self.flag.write_text("sent")
            os.kill(os.getpid(), signal.SIGTERM)


class FillDiskAfterEpoch(keras.callbacks.Callback):
    """After ``epoch`` (1-based), fill the file system of ``path`` until ``leave`` bytes are free;
    once per ``flag`` file."""

    def __init__(self, epoch: int, path: str, leave: int, flag: str) -> None:
        super().__init__()
        self.epoch, self.path, self.leave, self.flag = epoch, Path(path), leave, Path(flag)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch + 1 != self.epoch or self.flag.exists():
            return
        self.flag.write_text("filled")
        import shutil

        free = shutil.disk_usage(self.path.parent).free
        with open(self.path, "wb") as filler:
            try:
                filler.write(b"\0" * max(free - self.leave, 0))
            except OSError:
                pass
