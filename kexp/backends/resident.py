"""Training arrays resident in the accelerator's memory (JAX): each batch gathered there.

Keras 3.15's ``fit`` on JAX copies ``jax.Array`` inputs back to the host, shuffles
them with NumPy's global generator and slices every batch there, then copies it to
the device (``../shared/notes/keras-jax-fast.md`` §3). Where the training split is
arrays that fit comfortably in the device's memory, kexp puts them there once
(:func:`device_arrays`) and feeds ``fit`` only each batch's row numbers
(:class:`RowBatches`: the seeded per-epoch order of
:func:`kexp.backends.batches.epoch_order`, so a resumed run sees the batches an
uninterrupted one sees); the compiled step gathers the rows on the device
(:func:`kexp.backends.jax.scanned_train_calls` with ``resident``). The per-batch
slicing in Python and the host-to-device copy of each batch are gone; what crosses
per batch is ``batch_size`` row numbers.

The training is the same as feeding the same batches from the host (tested: history
and weights to the bit). :func:`resident_reason` says where it is off: streamed data,
a step kexp cannot replace, a CPU, arrays over :data:`RESIDENT_SHARE` of the
device's free memory.
"""

from __future__ import annotations

import keras
import numpy as np

from kexp.backends.batches import SplitBatches
from kexp.data.prepare import Split
from kexp.runs.disk import human

#: The training arrays may take at most this share of the device's free memory (the model, its
#: optimizer state and the activations of a batch need the rest).
RESIDENT_SHARE = 0.25


def split_bytes(split: Split) -> int:
    """Bytes ``split``'s arrays take on a JAX device: 4 a value (float32 inputs and weights; JAX keeps
    64-bit integer targets as 32-bit unless ``jax_enable_x64``)."""
    arrays = [a for a in (split.x, split.y, split.weights) if a is not None]
    return 4 * len(split) * sum(int(np.prod(np.shape(a)[1:], dtype=np.int64)) for a in arrays)


def free_device_bytes() -> int | None:
    """Bytes free on JAX's first device, or None where JAX does not say (its CPU)."""
    import jax

    stats = jax.local_devices()[0].memory_stats()
    if not stats or "bytes_limit" not in stats:
        return None
    return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))


def resident_reason(model: keras.Model, split: Split) -> str | None:
    """Why ``split`` is not put on the device for ``model``'s ``fit`` here, or None if it is."""
    from kexp.backends.jax import compiled_step_reason, device_kind

    if split.streamed:
        return "the inputs are read from disk batch by batch"
    reason = compiled_step_reason(model)
    if reason is not None:
        return reason
    device = device_kind()
    if device == "cpu":
        return "on a CPU the host's arrays are the device's"
    free, needed = free_device_bytes(), split_bytes(split)
    if free is None:
        return f"JAX does not report the {device}'s free memory"
    if needed > RESIDENT_SHARE * free:
        return f"the training arrays ({human(needed)}) would take over {RESIDENT_SHARE:.0%} of the {device}'s free {human(free)}"
    return None


def device_arrays(split: Split) -> tuple:
    """``(x, y[, weights])`` of ``split`` on JAX's default device, as Keras would feed them."""
    import jax

    arrays = [np.asarray(split.x, dtype="float32"), split.y]
    if split.weights is not None:
        arrays.append(np.asarray(split.weights, dtype="float32"))
    return tuple(jax.device_put(array) for array in arrays)


class RowBatches(SplitBatches):
    """The row numbers of each training batch, ``(rows,)``, in the seeded order of each epoch
    (:class:`~kexp.backends.batches.SplitBatches`'s order, epoch ``first_epoch`` first)."""

    def __getitem__(self, index: int):
        return (self.order[index * self.batch_size : (index + 1) * self.batch_size].astype("int32"),)


def row_inputs(model: keras.Model, split: Split, batch_size: int, seed: int, first_epoch: int) -> dict:
    """``fit`` keyword arguments that feed the row numbers of ``split``'s batches (after
    ``model``'s train function gathers them: :func:`kexp.training.execution.set_steps_per_call`
    with the :func:`device_arrays`).

    Keras's ``fit`` first builds the model, its loss and metrics from one batch of what it
    is fed; row numbers would be read as inputs, so it is built from the split's first real
    batch beforehand.
    """
    from kexp.compat.keras import build_from_batch

    first = slice(0, batch_size)
    batch = (np.asarray(split.x[first], dtype="float32"), split.y[first])
    build_from_batch(model, batch if split.weights is None else (*batch, split.weights[first]))
    return {"x": RowBatches(split, batch_size, seed=seed, first_epoch=first_epoch), "shuffle": False}
