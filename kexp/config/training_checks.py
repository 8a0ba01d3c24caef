"""The checks of how a run would train (before any heavy work; no TensorFlow): fine-tuning, the
learning-rate range test, batches per call, the metrics a callback watches, the schedule's shape,
the launcher. Left out when a finished run is scored (``validate(cfg, scoring=True)``): it trained."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import ConfigError, show
from kexp.config.launcher import check_launcher


def check_training(cfg: DictConfig) -> None:
    """How the run would train: fine-tuning, the range test, batches per call, the monitored metrics,
    the schedule's shape, the launcher."""
    _check_fine_tune(cfg)
    _check_learning_rate_find(cfg)
    _check_steps_per_call(cfg)
    _check_monitors(cfg)
    _check_schedule_fits_run(cfg)
    check_launcher(cfg)


def _check_fine_tune(cfg: DictConfig) -> None:
    """Two-phase training needs a backbone, and the phases set the rates themselves."""
    freeze = OmegaConf.select(cfg, "trainer.fine_tune.freeze_epochs", default=0)
    if not freeze:
        return
    key = f"trainer.fine_tune.freeze_epochs={freeze}"
    if OmegaConf.select(cfg, "model.builder", default=None) != "backbone":
        raise ConfigError(
            f"{key} — needs model=backbone (a pretrained backbone to freeze); "
            f"this run: model={OmegaConf.select(cfg, 'model.name', default='?')}"
        )
    if OmegaConf.select(cfg, "schedule.name", default="constant") != "constant":
        raise ConfigError(
            f"{key} — works with schedule=constant (each phase has its own rate: "
            "optimizer.learning_rate, then trainer.fine_tune.learning_rate)"
        )
    if OmegaConf.select(cfg, "regularization.early_stopping.patience", default=None) is not None:
        raise ConfigError(
            f"{key} — early stopping would end phase 1 early; use "
            "regularization.early_stopping.patience=null with fine-tuning"
        )


def _check_learning_rate_find(cfg: DictConfig) -> None:
    """``optimizer.learning_rate=find`` tests on this process's data alone: not across processes."""
    if str(OmegaConf.select(cfg, "optimizer.learning_rate", default="")) != "find":
        return
    processes = OmegaConf.select(cfg, "trainer.distributed.num_processes", default=1) or 1
    if processes > 1:
        raise ConfigError(
            f"optimizer.learning_rate=find — not with trainer.distributed.num_processes={processes}: "
            "run python -m kexp.lr_find on one process and give the rate it suggests"
        )


def _check_steps_per_call(cfg: DictConfig) -> None:
    """More than one batch per compiled call where that cannot work: a schedule set before every
    batch (``one_cycle``: Keras runs the callbacks once per call, so its rate would change only
    every few batches) and TensorFlow's ``mirrored`` strategy (Keras 3.15's multi-step function
    fails there mid-run)."""
    steps = OmegaConf.select(cfg, "trainer.steps_per_execution", default="auto")
    if steps in ("auto", 1):
        return
    if str(OmegaConf.select(cfg, "schedule.name", default="")) == "one_cycle":
        why = "with schedule=one_cycle (its rate is set before every batch)"
    elif str(OmegaConf.select(cfg, "trainer.strategy", default="default")) == "mirrored":
        why = "with trainer.strategy=mirrored (Keras runs one batch per call under tf.distribute)"
    else:
        return
    raise ConfigError.bad_value("trainer.steps_per_execution", show(steps), f"must be auto or 1 {why}")


#: The keys that name a metric for a Keras callback to watch (early stopping, the best checkpoint,
#: ``schedule=plateau``).
MONITOR_KEYS = ("regularization.early_stopping.monitor", "trainer.checkpoint.monitor", "schedule.monitor")


def _check_monitors(cfg: DictConfig) -> None:
    """Each ``*.monitor`` names a metric the run logs every epoch: Keras would find out only when the
    first epoch ends (early stopping stops with a traceback; the checkpoint only warns, and saves nothing)."""
    import difflib

    from kexp.training.tasks import epoch_logs

    logged = epoch_logs(str(OmegaConf.select(cfg, "task.name", default="multiclass")))
    for key in MONITOR_KEYS:
        monitor = OmegaConf.select(cfg, key, default=None)
        if monitor is None or monitor in logged:
            continue
        close = difflib.get_close_matches(str(monitor), logged, n=1)
        hint = f"; did you mean {key}={close[0]}?" if close else ""
        raise ConfigError.bad_value(
            key, monitor, f"must be a metric the run logs every epoch: {', '.join(logged)}{hint}"
        )


def _check_schedule_fits_run(cfg: DictConfig) -> None:
    """A schedule whose shape lies past the run's last epoch would silently be another schedule:
    ``schedule=step trainer.epochs=3`` never reaches the default milestones [5, 8] (a constant
    rate), a warm-up of at least ``trainer.epochs`` never reaches the cosine, a plateau's patience
    of ``trainer.epochs`` - 1 never lowers the rate. (A milestone m acts from epoch m + 1 on:
    :func:`kexp.training.schedules.step_rate`; Keras's ReduceLROnPlateau counts an epoch without
    improvement from the second on, and lowers the rate once the count reaches its patience.)"""
    epochs = OmegaConf.select(cfg, "trainer.epochs", default=None)
    if not isinstance(epochs, int):
        return
    milestones = OmegaConf.select(cfg, "schedule.milestones", default=None)
    unreached = [m for m in milestones or [] if isinstance(m, int) and m >= epochs]
    if unreached:
        raise ConfigError.bad_value(
            "schedule.milestones",
            show(list(milestones)),
            f"each must be < trainer.epochs={epochs} (milestone m lowers the rate from epoch m + 1; "
            f"{', '.join(map(str, unreached))} never come{'s' if len(unreached) == 1 else ''})",
        )
    warmup = OmegaConf.select(cfg, "schedule.warmup_epochs", default=0)
    if isinstance(warmup, int) and warmup >= epochs > 1:
        raise ConfigError.bad_value(
            "schedule.warmup_epochs", show(warmup), f"must be < trainer.epochs={epochs} (else the cosine never starts)"
        )
    patience = OmegaConf.select(cfg, "schedule.patience", default=None)  # (schedule=plateau's)
    if isinstance(patience, int) and max(patience, 1) >= epochs - 1:
        raise ConfigError.bad_value(
            "schedule.patience",
            show(patience),
            f"the rate would never change in trainer.epochs={epochs}: the first epoch sets the best, the rate is "
            f"lowered after {max(patience, 1)} more without improvement and used from the next; "
            f"use trainer.epochs ≥ {max(patience, 1) + 2}"
            + (f" or schedule.patience ≤ {epochs - 2}" if epochs > 2 else ""),
        )
