"""model.keras without the optimizer's state unless trainer.save_optimizer=true (a third of the size
with Adam), loading compiled and computing what the trained model computes."""

import warnings

import keras
import numpy as np
import pytest

from kexp.runs.saved import load_model, save_model


def trained_model():
    model = keras.Sequential([keras.Input((256,)), keras.layers.Dense(1024, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).random((32, 256)).astype("float32")
    y = np.arange(32) % 3
    model.fit(x, y, epochs=1, verbose=0)
    return model, x, y


def test_without_the_optimizer_the_file_is_a_third_and_loads_the_same(tmp_path):
    model, x, y = trained_model()
    moments = model.optimizer.variables
    for folder in ("light", "full"):
        (tmp_path / folder).mkdir()
    save_model(model, tmp_path / "light" / "model.keras")
    save_model(model, tmp_path / "full" / "model.keras", with_optimizer=True)
    assert model.optimizer.variables == moments  # the trained optimizer is back on the model
    light, full = ((tmp_path / d / "model.keras").stat().st_size for d in ("light", "full"))
    weights = sum(int(np.prod(w.shape)) * 4 for w in model.weights)
    assert light == pytest.approx(weights, rel=0.05) and full == pytest.approx(3 * weights, rel=0.05)  # Adam: m, v
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (Keras's "Skipping variable loading for optimizer" kept quiet)
        loaded = load_model(tmp_path / "light")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    restored = load_model(tmp_path / "full")
    assert int(restored.optimizer.iterations) == int(model.optimizer.iterations) == 1
