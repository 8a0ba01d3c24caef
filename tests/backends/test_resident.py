"""Training arrays resident on the device (kexp.backends.resident; JAX, used on accelerators, forced
here on the CPU), in fresh processes."""

import os
import subprocess
import sys

import pandas as pd

from tests.conftest import REPO, kexp_with

JAX = {"KERAS_BACKEND": "jax"}

RESIDENT = """
import logging, numpy as np, keras
import kexp.backends.jax
from kexp.backends.batches import SplitBatches, epoch_order
from kexp.backends.jax import scanned_train_calls
from kexp.backends.resident import RowBatches, device_arrays, row_inputs
from kexp.data.prepare import Split
from kexp.training.execution import FitBatches, set_steps_per_call
assert keras.backend.backend() == "jax"
logging.basicConfig(level=logging.INFO, format="%(message)s")
rng = np.random.default_rng(0)
n = 20 * 32 + 7  # 21 batches an epoch, the last of 7: two whole calls of 8, then one of 5
split = Split(rng.random((n, 12), dtype=np.float32), rng.integers(0, 3, n), rng.random(n, dtype=np.float32) + 0.5)

def new_model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    return model

def trained(feed, epochs=3, first_epoch=0, model=None, scan=False):
    model = model or new_model()
    batches = FitBatches(32, 21, 21 * (epochs - first_epoch))
    if feed == "host":  # the same seeded order, every batch sliced on the host
        set_steps_per_call(model, 8, batches)
        inputs = {"x": SplitBatches(split, 32, seed=5, first_epoch=first_epoch), "shuffle": False}
    else:
        arrays = device_arrays(split)
        set_steps_per_call(model, 8, batches, arrays)  # (on a CPU one compiled step a batch)
        if scan:
            scanned_train_calls(model, arrays)
        inputs = row_inputs(model, split, 32, 5, first_epoch)
        assert isinstance(inputs["x"], RowBatches)
    at_calls = []  # the logs each call ends with (the NaN check and the progress bar read them)
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: at_calls.append(logs["loss"]))
    history = model.fit(**inputs, epochs=epochs, initial_epoch=first_epoch, verbose=0, callbacks=[record]).history
    return model, history, [w.numpy() for w in model.weights], at_calls

def same_weights(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b))

_, host, host_weights, host_calls = trained("host")
_, device, device_weights, device_calls = trained("device")
assert device == host, (device, host)
assert same_weights(device_weights, host_weights) and device_calls == host_calls and len(host_calls) == 3 * 3
# (6 whole calls: 2 timed each way, fewer than TIMED_CALLS; the choice is then made only when one way is
# clearly faster, which the suite's XLA flags make a matter of this machine's speed: choose at once)
kexp.backends.jax.CLEARLY_FASTER = 1.0
_, scanned, scanned_weights, scanned_calls = trained("device", scan=True)
assert scanned == host and same_weights(scanned_weights, host_weights) and scanned_calls == host_calls
# resumed at epoch 1 (a new fit on the model after one epoch): the batches of an uninterrupted run
model, _, _, _ = trained("device", epochs=1)
_, resumed, resumed_weights, _ = trained("device", first_epoch=1, model=model)
assert resumed["loss"] == host["loss"][1:] and same_weights(resumed_weights, host_weights), (resumed, host)
rows = RowBatches(split, 32, seed=5, first_epoch=2)
assert np.array_equal(rows[0][0], epoch_order(n, 5, 2)[:32]) and rows[0][0].dtype == np.int32
assert len(rows) == 21 and len(rows[20][0]) == 7
# where they are put: on an accelerator with room (four times their size free), not with less
import kexp.backends.jax, kexp.backends.resident as resident
model = new_model()
assert resident.resident_reason(model, split) == "on a CPU the host's arrays are the device's"
kexp.backends.jax.device_kind = lambda: "gpu"
resident.free_device_bytes = lambda: 4 * resident.split_bytes(split)
assert resident.resident_reason(model, split) is None and resident.split_bytes(split) == n * (12 * 4 + 4 + 4)
resident.free_device_bytes = lambda: 4 * resident.split_bytes(split) - 1
print(resident.resident_reason(model, split))
print("same")
"""


def test_arrays_on_the_device_train_exactly_as_the_same_batches_fed_from_the_host():
    """Row numbers fed, rows gathered in the compiled step (one by one and in the scanned loop): the
    history, every weight and the logs each call ends with equal those of the same seeded batches
    sliced on the host, with sample weights and an epoch's last, shorter batch; a fit resumed at
    epoch 1 trains on the batches of the uninterrupted one."""
    result = subprocess.run([sys.executable, "-c", RESIDENT], cwd=REPO, env={**os.environ, **JAX},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    too_big, same = result.stdout.splitlines()
    assert same == "same"
    assert too_big == "the training arrays (36 kB) would take over 25% of the gpu's free 145 kB", too_big
    assert "the 8 batches of a call run " in result.stderr  # (the scanned fit chose a way)


ON_AN_ACCELERATOR = """
import kexp.backends.jax, kexp.backends.resident
kexp.backends.jax.device_kind = lambda: "gpu"  # (JAX's CPU taken for a GPU with 16 GiB free)
kexp.backends.resident.free_device_bytes = lambda: 16 * 2**30
import kexp.training.trainer
fit = kexp.training.trainer.fit
def fit_and_tell(model, *args, **kwargs):
    result = fit(model, *args, **kwargs)
    print("train function after the fit:", model.train_function)  # (gathering rows: not for a later fit)
    return result
kexp.training.trainer.fit = fit_and_tell
"""


def test_a_run_on_an_accelerator_trains_from_arrays_on_the_device(tmp_path, monkeypatch):
    """kexp's run with the training arrays on the device: it says so, learns, validates, writes every
    file; without a device kind that gains (here the CPU, as it is) the log says why not."""
    args = ["model=mlp", "model.hidden_units=[32]", "data.train_size=400", "data.test_size=100",
            "trainer.epochs=3", "trainer.checkpoint.best=true"]
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    result = kexp_with(ON_AN_ACCELERATOR, [*args, "hydra.run.dir=device"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (tmp_path / "device" / "kexp.log").read_text()
    assert "training data: on the device (" in log and ", each batch gathered there" in log, log[-2000:]
    assert "train function after the fit: None" in result.stdout
    history = pd.read_csv(tmp_path / "device" / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3] and history["val_accuracy"].iloc[-1] > 0.5
    assert history["loss"].is_monotonic_decreasing
    metrics = pd.read_csv(tmp_path / "device" / "metrics.csv").iloc[0]
    assert metrics["status"] == "ok" and metrics["test_accuracy"] > 0.5
    assert (tmp_path / "device" / "model.keras").is_file()
    assert (tmp_path / "device" / "checkpoints" / "best.keras").is_file()
    host = kexp_with("", [*args, "trainer.epochs=1", "hydra.run.dir=host"], tmp_path)
    assert host.returncode == 0, host.stderr[-3000:]
    assert "training data: fed from the host (on a CPU " in (tmp_path / "host" / "kexp.log").read_text()
