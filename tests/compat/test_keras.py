"""kexp's uses of Keras's private attributes still exist (kexp/compat/keras.py), and do what kexp needs.

If this fails after a Keras upgrade, update kexp/compat/keras.py, and nothing else."""

import keras
import numpy as np
import pytest

from kexp.compat import keras as keras_compat
from tests.compat.private_api import missing_attributes, resolve


def instance_of(dotted: str):
    if dotted.endswith("BackupAndRestore"):
        return keras.callbacks.BackupAndRestore("/nonexistent/backup")
    if dotted.endswith("ModelCheckpoint"):
        return keras.callbacks.ModelCheckpoint("/nonexistent/best.keras", save_best_only=True)
    return keras.random.SeedGenerator(0)


@pytest.mark.parametrize("dotted, attributes", keras_compat.PRIVATE_API.items())
def test_each_private_attribute_exists(dotted, attributes):
    owner = resolve(dotted)
    assert owner is not None, f"Keras no longer has {dotted}: update kexp/compat/keras.py"
    missing = missing_attributes(owner, attributes, instance_of(dotted))
    assert not missing, f"{dotted} no longer has {missing}: update kexp/compat/keras.py"


def test_checkpoint_comparison_follows_its_mode():
    lower = keras.callbacks.ModelCheckpoint("/nonexistent/a.keras", monitor="val_loss", mode="min", save_best_only=True)
    higher = keras.callbacks.ModelCheckpoint("/nonexistent/b.keras", monitor="val_accuracy", mode="max", save_best_only=True)
    assert keras_compat.checkpoint_improves(lower, 0.5) and keras_compat.checkpoint_improves(higher, 0.5)
    lower.best, higher.best = 0.5, 0.5
    assert keras_compat.checkpoint_improves(lower, 0.4) and not keras_compat.checkpoint_improves(lower, 0.6)
    assert keras_compat.checkpoint_improves(higher, 0.6) and not keras_compat.checkpoint_improves(higher, 0.4)


def test_seed_states_are_the_random_layers_generator_variables():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dropout(0.5, seed=7)])
    states = keras_compat.seed_states(model)
    assert len(states) == 1 and np.asarray(states[0]).shape == (2,)
    assert keras_compat.seed_states(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])) == []


def test_backup_paths_and_position_are_set_and_read_back(tmp_path):
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "b"))
    keras_compat.point_backup_at(backup, tmp_path / "w.weights.h5", tmp_path / "meta.json")
    assert keras_compat.backup_weights_path(backup) == tmp_path / "w.weights.h5"
    keras_compat.set_backup_position(backup, 4, 2)
    assert keras_compat.backup_position(backup) == (4, 2)



ON_JAX = """
import random, sys, tempfile
import numpy as np, keras
from keras.src.utils import rng_utils
from kexp.compat.keras import set_random_seed, tensorflow_unasked
assert keras.backend.backend() == "jax"

def draws():
    return random.random(), float(np.random.random()), keras.ops.convert_to_numpy(keras.random.uniform((3,))).tolist()

set_random_seed(3)
ours = draws()
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
model.compile("adam", "mse")
model.fit(np.ones((8, 4)), np.ones((8, 2)), verbose=0)
with tensorflow_unasked():
    model.save(tempfile.mkdtemp() + "/m.keras")
print("tensorflow imported:", "tensorflow" in sys.modules, "asked again:", rng_utils.tf._available is None)
keras.utils.set_random_seed(3)  # (Keras's own: imports TensorFlow, installed here, to seed it)
print("same draws as Keras's:", draws() == ours, "tensorflow imported:", "tensorflow" in sys.modules)
"""


def test_on_jax_seeding_and_saving_do_not_import_tensorflow_and_seed_as_keras_does():
    """Keras imports TensorFlow wherever it is installed to seed it and, saving a model, to check
    for its types (10 CPU seconds here, in every JAX run, which never uses it): kexp's seeding and
    saving on JAX do not import it, and seed Python, NumPy and Keras as Keras's own function."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", ON_JAX], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["tensorflow imported: False asked again: True",
                                        "same draws as Keras's: True tensorflow imported: True"]


def test_seeding_on_tensorflow_is_kerass_own():
    keras_compat.set_random_seed(5)
    ours = [np.random.random(), keras.ops.convert_to_numpy(keras.random.uniform((2,))).tolist()]
    keras.utils.set_random_seed(5)
    assert [np.random.random(), keras.ops.convert_to_numpy(keras.random.uniform((2,))).tolist()] == ours
