"""Every use of Keras's private attributes in one place.

kexp's resumable training builds on Keras callbacks whose state has no public
API: ``BackupAndRestore`` (where it reads and writes, the epoch and batch it is
at, how it saves), ``ModelCheckpoint`` (its comparison with the best value so
far) and the layers' seed-generator state variables. Each name used here is
listed in :data:`PRIVATE_API`; ``tests/compat/test_keras.py`` checks that every
one still exists in the installed Keras, so an upgrade that renames one fails
that test, naming the attribute, instead of breaking resume in the field.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import keras

#: Private names kexp relies on: ``(class, attribute)``; the instance attributes are set by
#: the class's ``__init__`` or ``on_train_begin`` (the test builds one and checks).
PRIVATE_API = {
    "keras.callbacks.BackupAndRestore": (
        "_weights_path",
        "_training_metadata_path",
        "_prev_weights_path",
        "_current_epoch",
        "_last_batch_seen",
        "_save_model",
    ),
    "keras.callbacks.ModelCheckpoint": ("_is_improvement", "_set_monitor_op", "monitor_op", "best"),
    "keras.random.SeedGenerator": ("state",),  # variables named ``seed_generator_state``
    # fit on JAX calls ``model.train_function(state, iterator)`` once per call (what these build)
    "keras.src.backend.jax.trainer.JAXTrainer": ("make_train_function", "_make_function"),
    # fit builds the model, loss and metrics from the first batch it is fed, unless already built
    "keras.src.trainers.trainer.Trainer": ("_symbolic_build",),
    # Keras's lazy ``tensorflow`` module (one object: rng_utils, serialization_lib, ... import it);
    # ``_available`` caches its answer to "is TensorFlow installed?"
    "keras.src.utils.rng_utils.tf": ("_available",),
}

#: The name that ends the path of every random layer's seed-generator state variable.
SEED_STATE_NAME = "seed_generator_state"


def point_backup_at(callback: keras.callbacks.BackupAndRestore, weights: Path, metadata: Path) -> None:
    """Make ``BackupAndRestore`` read (and write) its weights and metadata at these paths.

    Its previous-weights copy is pointed at a path that never exists: kexp switches
    whole epoch folders atomically instead.
    """
    callback._weights_path = str(weights)
    callback._training_metadata_path = str(metadata)
    callback._prev_weights_path = f"{weights}.none"


def backup_weights_path(callback: keras.callbacks.BackupAndRestore) -> Path:
    """Where ``BackupAndRestore`` reads its weights from."""
    return Path(callback._weights_path)


def backup_position(callback: keras.callbacks.BackupAndRestore) -> tuple[int, int]:
    """``(epoch, batch)`` that ``BackupAndRestore`` is about to save."""
    return int(callback._current_epoch), int(callback._last_batch_seen)


def set_backup_position(callback: keras.callbacks.BackupAndRestore, epoch: int, batch: int = 0) -> None:
    """Set the ``(epoch, batch)`` that ``BackupAndRestore`` saves next."""
    callback._current_epoch, callback._last_batch_seen = epoch, batch


def save_backup(callback: keras.callbacks.BackupAndRestore) -> None:
    """Run ``BackupAndRestore``'s save now (kexp's subclass overrides what it does)."""
    callback._save_model()


def checkpoint_improves(callback: keras.callbacks.ModelCheckpoint, value: float) -> bool:
    """Whether ``value`` beats ``ModelCheckpoint``'s best so far (its own comparison and mode)."""
    if callback.monitor_op is None:
        callback._set_monitor_op()
    return callback.best is None or bool(callback._is_improvement(value, callback.best))


def seed_states(model: keras.Model) -> list:
    """The seed-generator state variables of every random layer of ``model``."""
    return [v for v in model.variables if v.path.endswith(SEED_STATE_NAME)]


def train_by_calls(model: keras.Model, run_batches: Callable) -> None:
    """Make ``fit`` on JAX train each call's batches with ``run_batches(state, batches) → (logs, state)``.

    Keras 3.15's JAX ``fit`` calls ``model.train_function(state, iterator)`` once per
    call (``make_train_function`` returns early when it is set); the function reads
    ``model.steps_per_execution`` batches from the iterator — fewer at an epoch's
    end, where it raises ``StopIteration`` — and returns the last step's logs and the
    new state. This reads the batches the same way and hands them over together.
    ``compile`` (and :func:`kexp.training.execution.set_steps_per_call`) drop it.
    """
    steps = model.steps_per_execution

    def train_function(state, iterator):
        batches = []
        try:
            while len(batches) < steps:
                batches.append(next(iterator))
        except StopIteration:
            if not batches:
                raise
        return run_batches(state, batches)

    model.train_function = train_function


def build_from_batch(model: keras.Model, batch: tuple) -> None:
    """Build ``model``, its compiled loss and metrics (and optimizer) from one ``(x, y[, weights])``
    batch, as ``fit`` does from the first batch it is fed — so that ``fit`` can then be fed
    something else (the row numbers of :mod:`kexp.backends.resident`). Shapes and dtypes only
    are read."""
    model._symbolic_build(data_batch=batch)


@contextlib.contextmanager
def tensorflow_unasked() -> Iterator[None]:
    """Keras's "is TensorFlow installed?" answered "no" for the block, where TensorFlow is neither
    the backend nor imported yet, so that Keras does not import it to ask.

    Keras 3.15 asks on any backend, importing TensorFlow wherever it is installed (10 CPU seconds
    on a slow 2-core machine), to seed it (``keras.utils.set_random_seed``) and, when saving a
    model, to check whether a value is one of TensorFlow's types: a JAX run, which never uses
    TensorFlow (kexp feeds JAX from NumPy and Grain, never ``tf.data``), paid that import. What
    uses TensorFlow in the block still imports it itself (TensorBoard's summaries). Keras's
    preprocessing layers that need TensorFlow (``StringLookup``, ...) would say it is missing in
    the block: it covers seeding, training and saving, not building the model. Afterwards Keras
    asks again as before.
    """
    from keras.src.utils import rng_utils

    lazy_tensorflow = rng_utils.tf
    if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules or lazy_tensorflow._available is not None:
        yield
        return
    lazy_tensorflow._available = False
    try:
        yield
    finally:
        lazy_tensorflow._available = None


def set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed(seed)``: Keras's own, without importing TensorFlow to seed it
    where it is not the backend (:func:`tensorflow_unasked`); Keras, Python, NumPy and torch are
    seeded as always."""
    with tensorflow_unasked():
        keras.utils.set_random_seed(seed)
