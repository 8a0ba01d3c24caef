"""Feed a :class:`~kexp.data.Split` to Keras, whatever it holds and whichever backend runs.

One entry per use — :func:`training_inputs` (epochs shuffled by ``(seed,
epoch)``), :func:`ordered_inputs` (validation, evaluation, prediction) —
so the trainer has one path for arrays and files:

===============  =========================================  ======================================
split holds      TensorFlow backend                         other backends (JAX, torch)
===============  =========================================  ======================================
arrays           ``tf.data``: gather by a stateless         the arrays (Keras shuffles them)
                 per-epoch shuffle
image files,     ``tf.data``: read, decode and resize in    ``keras.utils.PyDataset``: read in the
memory-mapped    parallel (``AUTOTUNE``), prefetched        training thread in the seeded
cache                                                       per-epoch order; on an accelerator
                                                            image files decoded ahead by Grain's
                                                            worker processes where it pays
===============  =========================================  ======================================

On JAX on an accelerator the trainer instead puts training arrays that fit on the
device and feeds their row numbers (:mod:`kexp.backends.resident`).
"""

from __future__ import annotations

import numpy as np

from kexp.data.prepare import Split


def _on_tensorflow() -> bool:
    import keras

    return keras.backend.backend() == "tensorflow"


def training_inputs(
    split: Split, batch_size: int, seed: int, first_epoch: int, epochs: int, shard: tuple[int, int] | None = None
) -> dict:
    """``fit`` keyword arguments for the training batches of epochs ``first_epoch .. epochs-1``.

    ``shard=(index, count)`` (a batch split over several devices, JAX's
    ``DataParallel``): whole batches only, and this process of ``count`` feeds
    its part of every global batch of ``batch_size``.
    """
    if shard is not None:
        from kexp.backends.batches import SplitBatches

        return {"x": SplitBatches(split, batch_size, seed=seed, first_epoch=first_epoch, shard=shard), "shuffle": False}
    if _on_tensorflow():
        from kexp.backends.tensorflow import epoch_seeded_dataset

        dataset, steps = epoch_seeded_dataset(split, batch_size, seed, first_epoch, epochs)
        return {"x": dataset, "steps_per_epoch": steps, "shuffle": False}
    if split.streamed:
        from kexp.backends.batches import SplitBatches
        from kexp.backends.decoding_workers import decode_ahead
        from kexp.backends.start import device_kind

        batches = SplitBatches(split, batch_size, seed=seed, first_epoch=first_epoch)
        decode_ahead(batches, epochs - first_epoch, device_kind())
        return {"x": batches, "shuffle": False}
    return {"x": split.x, "y": split.y, "sample_weight": split.weights, "batch_size": batch_size, "shuffle": True}


def close_inputs(inputs: dict) -> None:
    """Stop what fed the ``fit`` keyword arguments ``inputs`` ahead (worker processes decoding batches)."""
    for key in ("x", "validation_data"):
        close = getattr(inputs.get(key), "close", None)
        if callable(close):
            close()


def ordered_inputs(split: Split, batch_size: int) -> dict:
    """``evaluate``/``predict`` keyword arguments for ``split`` in its order (``x``, and ``y``, ``batch_size`` for arrays)."""
    if not split.streamed:
        return {"x": split.x, "y": split.y, "batch_size": batch_size}
    if _on_tensorflow():
        from kexp.backends.tensorflow import ordered_dataset

        return {"x": ordered_dataset(split, batch_size)}
    from kexp.backends.batches import SplitBatches

    return {"x": SplitBatches(split, batch_size)}


def validation_inputs(split: Split, batch_size: int, shard: tuple[int, int] | None = None, passes: int = 1) -> dict:
    """``fit``'s ``validation_data`` (and batch size) for ``split``, read ``passes`` times (once an
    epoch; ``shard``: as in :func:`training_inputs`)."""
    if shard is not None:
        from kexp.backends.batches import SplitBatches

        return {"validation_data": SplitBatches(split, batch_size, shard=shard)}
    inputs = ordered_inputs(split, batch_size)
    if "y" in inputs:
        return {"validation_data": (inputs["x"], inputs["y"]), "validation_batch_size": batch_size}
    if not _on_tensorflow():
        from kexp.backends.decoding_workers import decode_ahead
        from kexp.backends.start import device_kind

        decode_ahead(inputs["x"], passes, device_kind())
    return {"validation_data": inputs["x"]}


def decode_all(split: Split, batch_size: int = 256) -> np.ndarray:
    """Every input of ``split`` as one float32 array (for ``data.cache=memory``), decoded in parallel."""
    out = np.empty(split.x.shape, dtype="float32")
    for start, batch in enumerate_batches(split, batch_size):
        out[start : start + len(batch)] = batch
    return out


def enumerate_batches(split: Split, batch_size: int):
    """``(first row, inputs)`` for each batch of ``split`` in order, decoded by the backend's pipeline."""
    inputs = ordered_inputs(split, batch_size)["x"]
    start = 0
    if _on_tensorflow():
        for x, _ in inputs.as_numpy_iterator():
            yield start, x
            start += len(x)
        return
    for index in range(len(inputs)):
        x = inputs[index][0]
        yield start, x
        start += len(x)
