"""The ``schedule`` config group: how the learning rate changes from epoch to epoch.

Each ``conf/schedule/<name>.yaml`` names a factory here with ``_target_``;
``hydra.utils.instantiate`` calls it and it returns the Keras callback that
applies the schedule (``LearningRateScheduler`` over one of the pure
functions below, or ``ReduceLROnPlateau``), or None for a constant rate.
Epochs are counted from 0 as in Keras; ``history.csv`` numbers them from 1
and its ``learning_rate`` column is the rate each epoch actually used.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from hydra.errors import InstantiationException

from kexp.compat.hydra import instantiate
from kexp.config.errors import ConfigError

if TYPE_CHECKING:
    import keras

Schedule = Callable[[int], float]


# -- the schedules as functions of the epoch (0-based) ----------------------------------
def step_rate(epoch: int, learning_rate: float, milestones: Sequence[int], gamma: float) -> float:
    """``learning_rate`` multiplied by ``gamma`` once for every milestone ≤ ``epoch``.

    A milestone m means "after m epochs": with milestones [3], history.csv's
    epochs 1-3 use the initial rate and epoch 4 on the decayed one.
    """
    return learning_rate * gamma ** sum(epoch >= m for m in milestones)


def cosine_rate(
    epoch: int, learning_rate: float, epochs: int, warmup_epochs: int = 0, min_learning_rate: float = 0.0
) -> float:
    """Linear warm-up over ``warmup_epochs`` (from lr/warmup to lr), then a cosine to the minimum."""
    if epoch < warmup_epochs:
        return learning_rate * (epoch + 1) / warmup_epochs
    span = max(epochs - warmup_epochs, 1)
    progress = min((epoch - warmup_epochs) / span, 1.0)
    return min_learning_rate + (learning_rate - min_learning_rate) * 0.5 * (1 + math.cos(math.pi * progress))


def exponential_rate(epoch: int, learning_rate: float, gamma: float) -> float:
    """``learning_rate · gamma^epoch``."""
    return learning_rate * gamma**epoch


def one_cycle_rate(
    step: int,
    total_steps: int,
    learning_rate: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
) -> float:
    """The one-cycle rate of batch ``step`` (0-based) of ``total_steps`` (Smith & Topin 2018).

    From ``learning_rate / div_factor`` up to ``learning_rate`` (the peak) over
    the first ``pct_start`` of the steps, then down to ``learning_rate /
    div_factor / final_div_factor`` at the last step; each half a cosine (or a
    straight line with ``anneal="linear"``). The same curve as PyTorch's
    ``OneCycleLR`` (two phases).
    """
    initial = learning_rate / div_factor
    final = initial / final_div_factor
    peak_step = float(pct_start * total_steps) - 1
    last_step = float(total_steps - 1)
    if step <= peak_step:
        start, end, progress = initial, learning_rate, step / peak_step if peak_step > 0 else 1.0
    else:
        start, end, progress = learning_rate, final, (step - peak_step) / max(last_step - peak_step, 1e-12)
    progress = min(max(progress, 0.0), 1.0)
    if anneal == "linear":
        return start + (end - start) * progress
    return end + (start - end) / 2 * (math.cos(math.pi * progress) + 1)


# -- factories named by conf/schedule/*.yaml ---------------------------------------------
def _scheduler(rate: Schedule) -> keras.callbacks.Callback:
    import keras

    return keras.callbacks.LearningRateScheduler(lambda epoch, _current: float(rate(epoch)))


def constant(learning_rate: float | None = None) -> None:
    """No callback: the optimizer's ``learning_rate`` throughout."""
    return None


def step(learning_rate: float, milestones: Sequence[int], gamma: float = 0.1) -> keras.callbacks.Callback:
    """Multiply by ``gamma`` at each milestone epoch (the ResNet paper's recipe)."""
    return _scheduler(partial(step_rate, learning_rate=learning_rate, milestones=list(milestones), gamma=gamma))


def cosine(
    learning_rate: float, epochs: int, warmup_epochs: int = 0, min_learning_rate: float = 0.0
) -> keras.callbacks.Callback:
    """Cosine decay over the run, after an optional linear warm-up."""
    return _scheduler(
        partial(
            cosine_rate,
            learning_rate=learning_rate,
            epochs=epochs,
            warmup_epochs=warmup_epochs,
            min_learning_rate=min_learning_rate,
        )
    )


def exponential(learning_rate: float, gamma: float = 0.9) -> keras.callbacks.Callback:
    """Multiply by ``gamma`` every epoch."""
    return _scheduler(partial(exponential_rate, learning_rate=learning_rate, gamma=gamma))


def one_cycle(
    learning_rate: float,
    epochs: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
) -> keras.callbacks.Callback:
    """One cycle per run, set before every batch (:func:`one_cycle_rate`); ``learning_rate`` is the peak."""
    from kexp.training.callbacks import PerBatchRate

    return PerBatchRate(
        partial(
            one_cycle_rate,
            learning_rate=learning_rate,
            pct_start=pct_start,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
            anneal=anneal,
        ),
        epochs=epochs,
    )


def plateau(learning_rate: float | None = None, **kwargs) -> keras.callbacks.Callback:
    """Keras ``ReduceLROnPlateau`` (monitor, factor, patience, min_lr, ... as in Keras), resumable."""
    from kexp.training.resumable_callbacks import ResumablePlateau

    return ResumablePlateau(**kwargs)


def build_schedule(schedule: Any, previous=None) -> keras.callbacks.Callback | None:
    """The callback for the ``schedule`` group, its dataclass (:mod:`kexp.config.schema.schedule`) or
    mapping (None: a constant rate).

    ``previous`` (the epochs an unfinished run already trained) goes to a
    schedule with state of its own (``plateau``).
    """
    container = dataclasses.asdict(schedule) if _is_instance(schedule) else dict(schedule)
    options = {k: v for k, v in container.items() if k != "name"}
    try:
        callback = instantiate(options, _convert_="all")
    except InstantiationException as err:
        cause = err.__cause__ or err
        raise ConfigError(f"schedule={container['name']} ({container['_target_']}) — {cause}") from err
    if hasattr(callback, "previous"):
        callback.previous = previous
    return callback


def _is_instance(schedule: Any) -> bool:
    """Whether ``schedule`` is a dataclass instance (the typed settings), not a mapping."""
    return dataclasses.is_dataclass(schedule) and not isinstance(schedule, type)
