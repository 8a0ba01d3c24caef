"""What a run does differently when Keras's distribution spreads it over devices and processes.

With ``trainer.strategy=data_parallel`` on JAX (and ``trainer.distributed`` over
several processes), :mod:`kexp.runs.pipeline` asks here where this process keeps its
state, whether it writes the run's files, and for a model it can evaluate and
save alone.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kexp.runs import layout
from kexp.runs.record import RunRecord

if TYPE_CHECKING:
    from kexp.training.backup import TrainingEnd

log = logging.getLogger("kexp")


def writes_artifacts() -> bool:
    """Whether this process writes the run's files: always, except the processes 1.. of a multi-process run."""
    from kexp.backends.start import process_shard

    return process_shard()[0] == 0


def process_directory(run_dir: Path) -> Path:
    """Where this process keeps its training state: ``run_dir``, or, for process ``i ≥ 1`` of a
    multi-process run, ``run_dir/.kexp/process-i`` (backups, history; removed when it ends ok).

    Process 0 writes the run's files; every other process logs to its own
    ``kexp.log`` (its own run directory) and keeps only the state it needs to resume.
    """
    from kexp.backends.start import process_shard

    index, count = process_shard()
    if index == 0:
        return run_dir
    state = run_dir / layout.STATE_DIR / f"process-{index}"
    state.mkdir(parents=True, exist_ok=True)
    log.info(
        "process %d of %d: process 0 writes the run's files; this one keeps its training state in %s",
        index,
        count,
        state,
    )
    return state


def local_model(model, run_dir: Path):
    """``model`` itself, or (JAX ``DataParallel``) a copy on one device of process 0; None elsewhere.

    A model trained with a distribution lives on all its devices, wants batches
    that split evenly over them, and, over several processes, needs every
    process for anything computed from its variables. So every process saves
    it, in step (Keras writes the replicated weights from the local copy);
    process 0 reloads it without a distribution to evaluate the whole test
    split, predict and save alone, and the others are done.
    """
    from kexp.backends.start import batch_shard

    shard = batch_shard()
    if shard is None:
        return model
    index = shard[0]
    import keras

    from kexp.runs.saved import load_model

    copy = run_dir / layout.STATE_DIR / "local"
    copy.mkdir(parents=True, exist_ok=True)
    model.save(copy / layout.MODEL_FILE)
    keras.distribution.set_distribution(None)
    local = load_model(copy) if index == 0 else None
    shutil.rmtree(copy)
    return local


def end_other_process(state_dir: Path, trained: TrainingEnd, facts: dict[str, Any], status: str) -> RunRecord:
    """Process 1.. of a multi-process run: its record (nothing written), its training state removed."""
    record = RunRecord.from_history(
        **facts, history=layout.read_history(state_dir), status=status, train_seconds=trained.train_seconds
    )
    shutil.rmtree(state_dir)
    return record
