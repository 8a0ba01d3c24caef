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
from typing import TYPE_CHECKING

import pandas as pd

from kexp.config.errors import DataError
from kexp.reporting import summary
from kexp.runs import atomic, layout
from kexp.runs.built import Built
from kexp.runs.finish import finish, record_interruption
from kexp.runs.processes import process_directory, writes_artifacts
from kexp.runs.record import RunRecord
from kexp.training.signals import TrainingInterrupted, guarded

if TYPE_CHECKING:
    from kexp.config.run_settings import RunSettings
    from kexp.config.schema.data import DataConfig
    from kexp.training.backup import TrainingEnd
    from kexp.training.trainer import Compilation

log = logging.getLogger("kexp")


def run(settings: RunSettings, run_dir: Path, threads: int | None = None) -> RunRecord:
    """Train and evaluate as ``settings`` say, write every artifact into ``run_dir``; the run's record.

    Its ``status`` is ok or diverged (NaN loss). Ctrl-C / SIGTERM at any moment
    write an ``interrupted`` record and raise
    :class:`~kexp.training.signals.TrainingInterrupted`; running again into ``run_dir``
    finishes what is missing. ``threads`` caps the backend's CPU threads
    (parallel sweep jobs share the cores).
    """
    from kexp.data import load_data
    from kexp.data.bad_images import bad_images_named
    from kexp.runs.provenance import provenance, write_run_file
    from kexp.training.tasks import Task

    atomic.remove_temporaries(run_dir)
    trainer = settings.trainer
    with guarded() as guard:
        # Data first: a bad file or label is reported before the backend's slow import.
        task = Task.from_settings(settings.task, settings.regularization.label_smoothing)
        data = load_data(settings.data, seed=settings.seed)
        task.check_fits(data, settings.data.name)
        data_classes = data.class_names  # (the data's own, before a binary task names its two)
        data = task.prepare(data)
        from kexp.backends.start import start_backend

        backend = start_backend(
            settings.seed,
            deterministic=trainer.deterministic,
            threads=threads,
            precision=trainer.precision,
            distributed=trainer.distributed,
        )
        run_dir = process_directory(run_dir)
        write_run_file(run_dir, provenance(settings.seed, backend))
        with bad_images_named(data):
            data = streamed_data(settings.data, data, run_dir, data_classes)
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
        if settings.finds_learning_rate:
            from kexp.lr_find.in_run import with_found_rate

            settings = with_found_rate(settings, data, run_dir, lambda s: build_and_compile(s, data, task).model)
        built = build_and_compile(settings, data, task)
        model = built.model
        from kexp.reporting.macs import macs_text, total_macs

        macs = total_macs(model)
        phases = ""
        if settings.fine_tunes:
            from kexp.training.fine_tune import phases_text

            phases = phases_text(model, trainer, float(settings.optimizer.learning_rate))
        atomic.write_text(
            run_dir / layout.SUMMARY_FILE, summary.model_summary_text(model) + "\n" + macs_text(model) + phases
        )
        if phases:
            log.info(phases.strip().replace("\n ", ";"))
        log.info(
            "model %s: %s parameters, %s MACs per sample", settings.model.name, f"{model.count_params():,}", f"{macs:,}"
        )
        if writes_artifacts():
            summary.warn_if_large(settings.model.name, model, data, trainer.save_optimizer)
            summary.warn_if_input_too_small(
                settings.model.name, model, tuple(data.input_shape), lambda shape: build(settings, shape, data, task)
            )
        facts = {
            "name": settings.name,
            "model": str(settings.model.name),
            "optimizer": settings.optimizer.name,
            "parameters": int(model.count_params()),
            "macs": macs,
        }
        from kexp.compat.keras import tensorflow_unasked
        from kexp.loggers import TrackedRun, open_loggers

        tracked = TrackedRun(settings.name, settings.params)
        with open_loggers(settings.loggers, tracked, run_dir, enabled=writes_artifacts()) as loggers:
            try:
                with bad_images_named(data), tensorflow_unasked():  # (JAX: Keras saves without importing it)
                    trained = train(settings, built, run_dir, guard, loggers.callbacks())
                    record = finish(settings, built, run_dir, trained, facts)
            except TrainingInterrupted:
                loggers.end("interrupted", record_interruption(settings, run_dir, facts, data.val_is_test))
                raise
            loggers.end(record.status, record)
            return record


def streamed_data(source: DataConfig, data, run_dir: Path, data_classes=None):
    """Image files: each decoded once first, bad ones named (or left out: ``data.on_bad_image=skip``),
    cached as ``data.cache`` says (``source``: the ``data`` settings);
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
    if source.on_bad_image == "skip":
        data = skip_bad_images(data)
    else:  # every split, before the first epoch (a bad test image once ended a run after training)
        check_every_image(data)
    cache_dir = Path(source.cache_dir).expanduser() if source.cache_dir else run_dir / layout.CACHE_DIR
    return cache_splits(data, source.cache or "none", cache_dir)


def build_and_compile(settings: RunSettings, data, task) -> Built:
    """The model of ``settings`` on ``data``, compiled in the device strategy's scope."""
    from kexp.backends.start import device_strategy

    trainer = settings.trainer
    scope, replicas = device_strategy(trainer.strategy)
    if replicas > 1:
        log.info(
            "trainer.strategy=%s: batch_size %d per device, global batch %d",
            trainer.strategy,
            trainer.batch_size,
            trainer.batch_size * replicas,
        )
    with scope:
        try:
            model = build(settings, data.input_shape, data, task)
        except ValueError as err:  # Keras: a negative dimension somewhere down the net
            shape = "x".join(map(str, data.input_shape))
            where = f"{data.origin} — " if data.origin else ""
            raise DataError(
                f"{where}images of {shape} are too small for model={settings.model.name} ({str(err).splitlines()[0]})"
            ) from err
        model = task.finish_model(model, data)
        compilation(settings, task).compile(model)
    return Built(model, data, task, replicas)


def compilation(settings: RunSettings, task) -> Compilation:
    """How the run's models are compiled (optimizer, task, ``trainer.jit_compile``)."""
    from kexp.training.trainer import Compilation

    return Compilation(settings.optimizer, task, settings.trainer.jit_compile)


def build(settings: RunSettings, input_shape: tuple[int, ...], data, task):
    """The model of ``settings`` for ``input_shape`` (the data's, or another to learn what size it needs)."""
    from kexp.models import build_model
    from kexp.models.augment import resolve_flip

    regularization = resolve_flip(settings.regularization, settings.data.flippable)
    return build_model(
        settings.model, input_shape, task.output_units(data.num_classes), regularization, task.output_activation
    )


def train(
    settings: RunSettings, built: Built, run_dir: Path, guard, logger_callbacks: list | None = None
) -> TrainingEnd:
    """Phase 1 and 2: train (or resume), then keep the trained weights; how training ended.

    ``logger_callbacks`` (:mod:`kexp.loggers`) run after the configured callbacks.
    A run whose training already ended (``backup/trained``) gets those weights back instead.
    """
    from kexp.runs.disk import check_room_for_run
    from kexp.training.backup import TrainingEnd, load_trained, save_trained
    from kexp.training.configured_callbacks import configured_callbacks
    from kexp.training.trainer import FitPlace, fit, previous_history

    model, data = built.model, built.data
    trained = load_trained(model, run_dir)
    if trained is not None:
        log.info("training had ended (%s): evaluating and saving what is missing", trained.status)
        return trained
    checkpoint = settings.trainer.checkpoint
    early = settings.regularization.early_stopping
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

    callbacks = configured_callbacks(settings, run_dir, data, previous)
    callbacks += trial_callbacks(settings.trial, settings.trainer.epochs, previous)
    callbacks += list(logger_callbacks or [])
    place = FitPlace(run_dir, guard, settings.seed, built.replicas)
    if settings.fine_tunes:  # (model=backbone: backbone frozen, then unfrozen)
        from kexp.training.fine_tune import train_in_phases

        compiled = compilation(settings, built.task)
        result = train_in_phases(model, data, settings.trainer, place, callbacks, compiled)
    else:
        result = fit(model, data, settings.trainer, place, callbacks=callbacks)
    trained = TrainingEnd(result.status, result.train_seconds, result.images_seen)
    save_trained(model, run_dir, trained)
    return trained
