"""``trainer.steps_per_execution``: how many batches each call into the compiled step runs.

Between two calls Keras's ``fit`` does Python work of its own — the callbacks'
batch hooks, the iterator's bookkeeping, the logs — which on a small net costs
more than the step itself (on 2 CPU cores, JAX: 240 µs a step of the
784-16-10 net at one batch a call, 115 µs at eight). A hand-written ``fit``
runs one batch per call. ``auto`` (the default) lets each call run as many
batches as fill about :data:`CALL_SECONDS` of compute, estimated from the
model's multiply-accumulates per sample, the batch size and the device kind
(:data:`MACS_PER_SECOND`, measured) — at most an epoch, at most
:data:`MOST_STEPS`. It stays 1 where a callback must act before every batch
(``schedule=one_cycle`` sets the rate per batch; a user's callback with batch
hooks), saying so.

Keras fixes the number for a whole ``fit`` call, so it is estimated, not
measured: measuring would cost a second compile of the step. The training is the
same either way (same batches, same order, same updates; tested): kexp's signal
and NaN checks act at the first call boundary after the event, and the epoch-level
work (history, backup, pruning, early stopping) is unchanged.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import keras

from kexp.config.errors import ConfigError

if TYPE_CHECKING:
    from kexp.data.prepare import Split

log = logging.getLogger("kexp")

#: ``trainer.steps_per_execution`` that picks the number per fit.
AUTO = "auto"
#: The compute one call should hold: long enough that Keras's per-call Python work is a few
#: per cent of it, short enough that a signal or a NaN is acted on within a fraction of a second.
CALL_SECONDS = 0.05
#: Never more batches per call than this (the progress bar and batch-level loggers update per call).
MOST_STEPS = 64
#: Multiply-accumulates per second of a training step (forward and backward, counted as three
#: forward passes) by device kind: ``cpu`` measured on the build machine's 2 vCPUs (the mlp at batch 32,
#: JAX and TensorFlow: about 5·10¹⁰); ``gpu``/``tpu`` a cautious fraction of an H100's dense float32 rate.
MACS_PER_SECOND = {"cpu": 5e10, "gpu": 2e13, "tpu": 2e13}
#: TensorFlow compiles several batches a call as a loop in the graph: tracing it costs about 0.15 s
#: more than one batch's step (measured, the mlp on 2 vCPUs), and the evaluation and prediction
#: steps pay the same; a call saves about 1.5 ms a batch there. A run of fewer batches than this
#: (a sweep's small runs) stays at one a call. On JAX Keras's loop is Python's: nothing more to compile.
FEWEST_BATCHES_FOR_A_LOOP = 256
#: On JAX a call's batches may run as one compiled loop (:func:`kexp.backends.jax.scanned_train_calls`)
#: on an accelerator, where measured faster; compiling the loop and the measuring cost about 0.4 s (a
#: dense net, 2 vCPUs), which a fit of fewer batches would not win back (0.05–0.3 ms saved a batch there).
FEWEST_BATCHES_TO_SCAN = 2000


@dataclass(frozen=True)
class FitBatches:
    """The batches of one ``fit``: their ``size``, how many an epoch, how many in all (None: not
    known), and over how many devices each is split."""

    size: int
    per_epoch: int
    in_all: int | None = None
    replicas: int = 1


def acts_every_batch(callback: keras.callbacks.Callback) -> bool:
    """Whether ``callback`` must run before or after every single batch (not once per call).

    kexp's own callbacks say so with ``acts_every_batch``; Keras's built-in ones
    are written for ``steps_per_execution`` (their batch hooks run once per
    call, as Keras documents); any other callback — a user's, or Keras's
    ``LambdaCallback`` running a user's code — that has a batch hook is taken
    to need every batch.
    """
    declared = getattr(callback, "acts_every_batch", None)
    if declared is not None:
        return bool(declared)
    hooks = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")
    if isinstance(callback, keras.callbacks.LambdaCallback):
        return any(hook in vars(callback) for hook in hooks)  # (the functions it was given)
    kind = type(callback)
    if kind.__module__.startswith(("keras.", "kexp.")):
        return False
    return any(getattr(kind, hook) is not getattr(keras.callbacks.Callback, hook) for hook in hooks)


def steps_per_call(setting: int | str, model: keras.Model, batches: FitBatches, callbacks: list) -> tuple[int, str]:
    """The batches per compiled call for ``trainer.steps_per_execution`` = ``setting``, and why.

    A number is used as it is. ``auto``: 1 where a callback acts every batch or
    TensorFlow splits each batch over ``batches.replicas`` devices (``trainer.strategy=mirrored``:
    Keras 3.15's multi-step function fails there, "You must feed a value for
    placeholder tensor") or, on TensorFlow, where the fit trains fewer than
    :data:`FEWEST_BATCHES_FOR_A_LOOP` batches in all, else the batches that fill
    :data:`CALL_SECONDS` at the device's estimated rate, between 1 and
    ``min(batches.per_epoch, MOST_STEPS)``.

    On TensorFlow the number divides ``batches.per_epoch``: Keras 3.15's multi-batch
    call runs all its batches even at an epoch's end, and kexp's ``tf.data`` pipeline
    runs on into the next epoch's batches (an epoch of 135 batches at 64 a call
    trained 192). ``auto`` takes the largest divisor; a number set that does not
    divide is a :class:`ConfigError` naming the divisors.
    """
    tensorflow = keras.backend.backend() == "tensorflow"
    steps_per_epoch = batches.per_epoch
    if setting != AUTO:
        steps = int(setting)
        if tensorflow and steps_per_epoch % steps:
            raise ConfigError.bad_value(
                "trainer.steps_per_execution",
                steps,
                f"on TensorFlow a number that divides the {steps_per_epoch} batches of an epoch "
                f"({', '.join(map(str, divisors(steps_per_epoch)))}) or auto: the last call of an epoch would "
                "train on the next epoch's batches",
            )
        return steps, "as set"
    if batches.replicas > 1 and tensorflow:
        return 1, "1 (auto): tf.distribute runs one batch per call"
    if tensorflow and batches.in_all is not None and batches.in_all < FEWEST_BATCHES_FOR_A_LOOP:
        return 1, (
            f"1 (auto): {batches.in_all} batches to train, too few to pay for compiling TensorFlow's multi-batch loop"
        )
    every = [type(c).__name__ for c in callbacks if acts_every_batch(c)]
    if every:
        return 1, f"1 (auto): {', '.join(every)} must act before every batch"
    from kexp.backends.start import device_kind
    from kexp.reporting.macs import total_macs

    device = device_kind()
    step_seconds = 3 * max(total_macs(model), 1) * batches.size / MACS_PER_SECOND.get(device, MACS_PER_SECOND["cpu"])
    steps = max(1, min(math.floor(CALL_SECONDS / step_seconds), MOST_STEPS, max(steps_per_epoch, 1)))
    why = f"about {step_seconds * 1e3:.2g} ms of compute a batch on the {device}"
    if tensorflow and steps_per_epoch % steps:
        steps = max(d for d in divisors(steps_per_epoch) if d <= steps)
        why += f"; a divisor of the {steps_per_epoch} batches of an epoch"
    return steps, f"{steps} (auto: {why})"


def divisors(number: int) -> list[int]:
    """The divisors of ``number`` ≥ 1, ascending."""
    return [d for d in range(1, number + 1) if number % d == 0]


def set_steps_per_call(
    model: keras.Model, steps: int, batches: FitBatches | None = None, resident: tuple | None = None
) -> None:
    """Make ``model``'s next ``fit`` run ``steps`` batches per compiled call (after ``compile``).

    ``steps_per_execution`` is the attribute ``compile`` sets; the step functions
    are made again for the new number. On JAX, for a fit of at least
    :data:`FEWEST_BATCHES_TO_SCAN` ``batches`` on an accelerator where Keras's step is a plain
    ``jit`` (:func:`kexp.backends.jax.scanned_steps_reason`), a call's batches may run as one
    compiled loop (:func:`kexp.backends.jax.scanned_train_calls`: where measured faster; the
    same training). ``resident``: the training arrays on the device
    (:func:`resident_training_arrays`); the step then gathers each batch's rows there.
    """
    if model.steps_per_execution != steps:
        model.steps_per_execution = steps
        model.train_function = model.test_function = model.predict_function = None
    if keras.backend.backend() != "jax":
        return
    from kexp.backends.jax import scanned_steps_reason, scanned_train_calls

    long_fit = batches is not None and (batches.in_all or 0) >= FEWEST_BATCHES_TO_SCAN
    scan = steps > 1 and long_fit and scanned_steps_reason(model) is None
    if resident is not None or (scan and model.train_function is None):
        scanned_train_calls(model, resident, scan)


def resident_training_arrays(model: keras.Model, split: Split, setting: int | str) -> tuple | None:
    """``split``'s arrays put on the accelerator for ``model``'s ``fit`` (JAX), or None where
    they are fed from the host; logs which, and why.

    Not for ``trainer.steps_per_execution=1`` (Keras's own loop, fed as before) nor on
    TensorFlow (``tf.data``); elsewhere :func:`kexp.backends.resident.resident_reason` decides
    (a batch split over several devices included).
    """
    if keras.backend.backend() != "jax" or setting == 1:
        return None
    from kexp.backends.resident import device_arrays, resident_reason, split_bytes
    from kexp.runs.disk import human

    reason = resident_reason(model, split)
    if reason is not None:
        log.info("training data: fed from the host (%s)", reason)
        return None
    arrays = device_arrays(split)
    log.info("training data: on the device (%s), each batch gathered there", human(split_bytes(split)))
    return arrays
