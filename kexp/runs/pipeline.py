"""One run: data, model, optimizer, training, evaluation, artifacts.

(The ``experiment`` config group holds presets; this module is one run of
whatever config Hydra composed.)

A run has three phases, each resumable after a kill at any moment:

1. training (``history.csv`` streamed, ``backup/`` per epoch): a rerun
   continues after the last completed epoch;
2. the trained weights and how training ended go to ``backup/trained``: a
   rerun skips training;
3. evaluation and the final artifacts (``per_class.csv``, ``confusion_matrix.csv``/``.png``, ``model.keras``,
   ``curves.png``), ``metrics.csv`` last; then ``backup/`` is removed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from omegaconf import DictConfig

from kexp.config.errors import DataError
from kexp.reporting import summary
from kexp.reporting.curves import save_curves
from kexp.runs import atomic, layout
from kexp.runs.processes import end_other_process, local_model, process_directory, writes_artifacts
from kexp.runs.provenance import override_argument
from kexp.runs.record import EVALUATED, RunRecord
from kexp.runs.said import log_to_file
from kexp.training.signals import TrainingInterrupted, guarded

if TYPE_CHECKING:
    from kexp.training.backup import TrainingEnd

log = logging.getLogger("kexp")

#: What each way of ending tells the user.
STATUS_HINTS = {
    "interrupted": "run the same command again (or with {run_dir_argument}) to continue where it stopped",
    "diverged": "the loss became NaN or infinite; lower optimizer.learning_rate (or add regularization)",
    "pruned": "the search's pruner stopped it: its objective was behind the other trials' at this epoch",
}


def run(cfg: DictConfig, run_dir: Path, threads: int | None = None) -> RunRecord:
    """Train and evaluate as ``cfg`` says, write every artifact into ``run_dir``; the run's record.

    Its ``status`` is ok or diverged (NaN loss). Ctrl-C / SIGTERM at any moment
    write an ``interrupted`` record and raise
    :class:`~kexp.training.signals.TrainingInterrupted`; running again into ``run_dir``
    finishes what is missing. ``threads`` caps the backend's CPU threads
    (parallel sweep jobs share the cores).
    """
    from kexp.data import load_data
    from kexp.data.bad_images import bad_images_named
    from kexp.runs.provenance import provenance, write_run_file
    from kexp.training.tasks import Task, check_task_fits_data

    atomic.remove_temporaries(run_dir)
    with guarded() as guard:
        # Data first: a bad file or label is reported before the backend's slow import.
        task = Task.from_config(cfg.task, cfg.regularization)
        data = load_data(cfg.data, seed=cfg.seed)
        check_task_fits_data(task.name, "labels" if data.has_class_labels else "numbers", cfg.data.name)
        data_classes = data.class_names  # (the data's own, before a binary task names its two)
        data = task.prepare(data)
        from kexp.backends.start import start_backend

        backend = start_backend(
            cfg.seed,
            deterministic=cfg.trainer.deterministic,
            threads=threads,
            precision=cfg.trainer.precision,
            distributed=cfg.trainer.distributed,
        )
        run_dir = process_directory(run_dir)
        write_run_file(run_dir, provenance(cfg.seed, backend))
        with bad_images_named(data):
            data = streamed_data(cfg.data, data, run_dir, data_classes)
        log.info(
            "data %s: train %d, validation %d%s, test %d, input %s, %s",
            data.name,
            len(data.y_train),
            len(data.y_val),
            " (the test split)" if data.val_is_test else "",
            len(data.y_test),
            "x".join(map(str, data.input_shape)),
            f"{data.num_classes} classes" if task.name != "regression" else "a numeric target",
        )
        from kexp.lr_find.in_run import wants_range_test, with_found_rate

        if wants_range_test(cfg):
            cfg = with_found_rate(cfg, data, run_dir, lambda c: build_and_compile(c, data, task)[0])
        model, replicas = build_and_compile(cfg, data, task)
        from kexp.reporting.macs import macs_text, total_macs
        from kexp.training.fine_tune import fine_tuning, phases_text

        macs = total_macs(model)
        phases = phases_text(model, cfg) if fine_tuning(cfg) else ""
        atomic.write_text(
            run_dir / layout.SUMMARY_FILE, summary.model_summary_text(model) + "\n" + macs_text(model) + phases
        )
        if phases:
            log.info(phases.strip().replace("\n ", ";"))
        log.info(
            "model %s: %s parameters, %s MACs per sample", cfg.model.name, f"{model.count_params():,}", f"{macs:,}"
        )
        if writes_artifacts():
            summary.warn_if_large(cfg, model, data)
            summary.warn_if_input_too_small(
                str(cfg.model.name), model, tuple(data.input_shape), lambda shape: build(cfg, shape, data, task)
            )
        facts = {
            "name": str(cfg.name),
            "model": str(cfg.model.name),
            "optimizer": str(cfg.optimizer.name),
            "parameters": int(model.count_params()),
            "macs": macs,
        }
        from kexp.loggers import open_loggers

        with open_loggers(cfg, run_dir, enabled=writes_artifacts()) as loggers:
            try:
                with bad_images_named(data):
                    trained = train(cfg, model, data, run_dir, guard, replicas, loggers.callbacks(), task)
                    record = finish(cfg, model, data, run_dir, trained, facts, replicas)
            except TrainingInterrupted:
                loggers.end("interrupted", record_interruption(cfg, run_dir, facts, data.val_is_test))
                raise
            loggers.end(record.status, record)
            return record


def streamed_data(cfg: DictConfig, data, run_dir: Path, data_classes=None):
    """Image files: each decoded once first, bad ones named (or left out: ``data.on_bad_image=skip``),
    cached as ``data.cache`` says;
    ``classes.csv`` written for data with class names."""
    from kexp.data.bad_images import check_every_image, skip_bad_images
    from kexp.data.cache import cache_splits
    from kexp.runs.saved import save_preprocessing

    if data.encoder is not None:  # (data=csv) so that evaluate and predict never refit it
        save_preprocessing(data.encoder, run_dir)
    if data_classes:  # the data's labels by name, as kexp.evaluate renumbers other data to them
        atomic.write_csv(
            run_dir / layout.CLASSES_FILE, pd.DataFrame({"class": range(len(data_classes)), "name": data_classes})
        )
    if cfg.get("on_bad_image") == "skip":
        data = skip_bad_images(data)
    else:  # every split, before the first epoch (a bad test image once ended a run after training)
        check_every_image(data)
    cache_dir = Path(cfg.cache_dir).expanduser() if cfg.get("cache_dir") else run_dir / layout.CACHE_DIR
    return cache_splits(data, cfg.get("cache") or "none", cache_dir)


def build_and_compile(cfg: DictConfig, data, task):
    """The model for ``cfg`` on ``data``, compiled in the device strategy's scope; ``(model, replicas)``."""
    from kexp.backends.start import device_strategy
    from kexp.training.optimizers import build_optimizer
    from kexp.training.trainer import compile_model

    scope, replicas = device_strategy(cfg.trainer.strategy)
    if replicas > 1:
        log.info(
            "trainer.strategy=%s: batch_size %d per device, global batch %d",
            cfg.trainer.strategy,
            cfg.trainer.batch_size,
            cfg.trainer.batch_size * replicas,
        )
    with scope:
        try:
            model = build(cfg, data.input_shape, data, task)
        except ValueError as err:  # Keras: a negative dimension somewhere down the net
            shape = "x".join(map(str, data.input_shape))
            where = f"{data.origin} — " if data.origin else ""
            raise DataError(
                f"{where}images of {shape} are too small for model={cfg.model.name} ({str(err).splitlines()[0]})"
            ) from err
        model = task.finish_model(model, data)
        compile_model(
            model,
            build_optimizer(cfg.optimizer),
            task,
            jit_compile=cfg.trainer.jit_compile,
            steps_per_execution=cfg.trainer.steps_per_execution,
        )
    return model, replicas


def build(cfg: DictConfig, input_shape: tuple[int, ...], data, task):
    """The model of ``cfg`` for ``input_shape`` (the data's, or another to learn what size it needs)."""
    from kexp.models import build_model
    from kexp.models.augment import resolve_flip

    regularization = resolve_flip(cfg.regularization, cfg.data)
    return build_model(
        cfg.model, input_shape, task.output_units(data.num_classes), regularization, task.output_activation
    )


def train(
    cfg: DictConfig, model, data, run_dir: Path, guard, replicas: int, logger_callbacks: list | None = None, task=None
) -> TrainingEnd:
    """Phase 1 and 2: train (or resume), then keep the trained weights; how training ended.

    ``logger_callbacks`` (:mod:`kexp.loggers`) run after the configured callbacks.
    A run whose training already ended (``backup/trained``) gets those weights back instead.
    """
    from kexp.runs.disk import check_room_for_run
    from kexp.training.backup import TrainingEnd, load_trained, save_trained
    from kexp.training.configured_callbacks import configured_callbacks
    from kexp.training.trainer import fit, previous_history

    trained = load_trained(model, run_dir)
    if trained is not None:
        log.info("training had ended (%s): evaluating and saving what is missing", trained.status)
        return trained
    checkpoint = cfg.trainer.checkpoint
    early = cfg.regularization.early_stopping
    check_room_for_run(
        run_dir,
        model,
        checkpoints=int(checkpoint.best) + int(checkpoint.last),
        early_stopping_copy=early.patience is not None and early.restore_best_weights,
    )
    previous = previous_history(run_dir)
    if previous is not None:
        log.info("resuming after epoch %d", len(previous))
    from kexp.search.trial_reports import trial_callbacks

    callbacks = configured_callbacks(cfg, run_dir, data, previous) + trial_callbacks(cfg, previous)
    callbacks += list(logger_callbacks or [])
    from kexp.training.fine_tune import fine_tuning, train_in_phases

    if fine_tuning(cfg):  # (model=backbone: backbone frozen, then unfrozen)
        result = train_in_phases(model, data, cfg, run_dir, guard, task, callbacks, replicas)
    else:
        result = fit(model, data, cfg.trainer, run_dir, guard, seed=cfg.seed, callbacks=callbacks, replicas=replicas)
    trained = TrainingEnd(result.status, result.train_seconds, result.images_seen)
    save_trained(model, run_dir, trained)
    return trained


def finish(
    cfg: DictConfig, model, data, run_dir: Path, trained: TrainingEnd, facts: dict[str, Any], replicas: int
) -> RunRecord:
    """Phase 3: evaluate, save the model and curves, write ``metrics.csv``, drop the backup."""
    from kexp.reporting.evaluation import score_test_split
    from kexp.runs.provenance import mark_finished
    from kexp.training.backup import remove_backup

    status = trained.status
    scores: dict[str, float] = {}
    model = local_model(model, run_dir)
    if model is None:  # (process 1.. of a multi-process run: process 0 evaluates and writes)
        return end_other_process(run_dir, trained, facts, status)
    # the trained model and the curves first: a failure while scoring (a bad test file) keeps them
    if status in EVALUATED and cfg.trainer.save_model:
        from kexp.runs.saved import save_model

        save_model(model, run_dir / layout.MODEL_FILE, with_optimizer=cfg.trainer.save_optimizer)
    history = layout.read_history(run_dir)
    if len(history):
        title = str(cfg.name) if status == "ok" else f"{cfg.name} ({status})"
        save_curves(history, run_dir / layout.CURVES_FILE, title, data.val_is_test, cfg.trainer.curves)
    if status in EVALUATED:
        batch_size = cfg.trainer.batch_size * replicas
        scores = score_test_split(model, data, batch_size, run_dir, f"{cfg.name}: confusion matrix (test split)")
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


def record_interruption(cfg: DictConfig, run_dir: Path, facts: dict[str, Any], val_is_test: bool = False) -> RunRecord:
    """``metrics.csv`` (status interrupted) and curves for the epochs done; the backup stays."""
    history = layout.read_history(run_dir)
    if len(history):
        title = f"{cfg.name} (interrupted)"
        save_curves(history, run_dir / layout.CURVES_FILE, title, val_is_test, cfg.trainer.curves)
    record = RunRecord.from_history(**facts, history=history, status="interrupted")
    record.write(run_dir)
    again = override_argument("hydra.run.dir", run_dir)
    log_to_file(logging.WARNING, "run interrupted: %s", STATUS_HINTS["interrupted"].format(run_dir_argument=again))
    return record
