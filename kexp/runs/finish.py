"""Phase 3 of a run: evaluate, save the model and curves, write ``metrics.csv``, drop the backup
(or, for an interrupted run, the record of the epochs done)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kexp.reporting.curves import save_curves
from kexp.runs import layout
from kexp.runs.processes import end_other_process, local_model
from kexp.runs.provenance import override_argument
from kexp.runs.record import EVALUATED, RunRecord
from kexp.runs.said import log_to_file

if TYPE_CHECKING:
    from kexp.config.run_settings import RunSettings
    from kexp.runs.built import Built
    from kexp.training.backup import TrainingEnd

#: What each way of ending tells the user.
STATUS_HINTS = {
    "interrupted": "run the same command again (or with {run_dir_argument}) to continue where it stopped",
    "diverged": "the loss became NaN or infinite; lower optimizer.learning_rate (or add regularization)",
    "pruned": "the search's pruner stopped it: its objective was behind the other trials' at this epoch",
}


def finish(
    settings: RunSettings, built: Built, run_dir: Path, trained: TrainingEnd, facts: dict[str, Any]
) -> RunRecord:
    """Phase 3: evaluate, save the model and curves, write ``metrics.csv``, drop the backup."""
    from kexp.reporting.evaluation import score_test_split
    from kexp.runs.provenance import mark_finished
    from kexp.training.backup import remove_backup

    trainer, data = settings.trainer, built.data
    status = trained.status
    scores: dict[str, float] = {}
    model = local_model(built.model, run_dir)
    if model is None:  # (process 1.. of a multi-process run: process 0 evaluates and writes)
        return end_other_process(run_dir, trained, facts, status)
    # the trained model and the curves first: a failure while scoring (a bad test file) keeps them
    if status in EVALUATED and trainer.save_model:
        from kexp.runs.saved import save_model

        save_model(model, run_dir / layout.MODEL_FILE, with_optimizer=trainer.save_optimizer)
    history = layout.read_history(run_dir)
    if len(history):
        title = settings.name if status == "ok" else f"{settings.name} ({status})"
        save_curves(history, run_dir / layout.CURVES_FILE, title, data.val_is_test, trainer.curves)
    if status in EVALUATED:
        batch_size = trainer.batch_size * built.replicas
        scores = score_test_split(model, data, batch_size, run_dir, f"{settings.name}: confusion matrix (test split)")
    record = RunRecord.from_history(
        **facts,
        history=history,
        test_scores=scores,
        train_seconds=trained.train_seconds,
        status=status,
        images_per_second=trained.images_per_second,
    )
    record.write(run_dir)
    mark_finished(run_dir, status)
    remove_backup(run_dir)
    (run_dir / layout.HISTORY_STREAM).unlink(missing_ok=True)
    if status != "ok":  # (the job prints its own line for the terminal)
        log_to_file(
            logging.WARNING,
            "run %s: %s",
            status,
            STATUS_HINTS[status].format(run_dir_argument=override_argument("hydra.run.dir", run_dir)),
        )
    return record


def record_interruption(
    settings: RunSettings, run_dir: Path, facts: dict[str, Any], val_is_test: bool = False
) -> RunRecord:
    """``metrics.csv`` (status interrupted) and curves for the epochs done; the backup stays."""
    history = layout.read_history(run_dir)
    if len(history):
        title = f"{settings.name} (interrupted)"
        save_curves(history, run_dir / layout.CURVES_FILE, title, val_is_test, settings.trainer.curves)
    record = RunRecord.from_history(**facts, history=history, status="interrupted")
    record.write(run_dir)
    again = override_argument("hydra.run.dir", run_dir)
    log_to_file(logging.WARNING, "run interrupted: %s", STATUS_HINTS["interrupted"].format(run_dir_argument=again))
    return record
