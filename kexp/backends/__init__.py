"""Everything that depends on which Keras backend runs.

- :mod:`kexp.backends.start`: start the backend (seed, precision, threads,
  devices) and pick the device strategy; dispatches to the modules below.
- :mod:`kexp.backends.tensorflow`: the only TensorFlow-specific code
  (GPU memory, tf.data, tf.distribute, GradientTape).
- :mod:`kexp.backends.jax`: the only JAX-specific code (jax.grad, the scanned training call).

The rest of kexp uses ``keras`` and ``keras.ops`` only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def keras_dir() -> Path:
    """Keras's config folder: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` if that is not writable)."""
    if os.environ.get("KERAS_HOME"):
        return Path(os.environ["KERAS_HOME"])
    home = Path(os.path.expanduser("~")) / ".keras"
    if not os.access(os.path.expanduser("~"), os.W_OK):
        home = Path("/tmp/.keras")
    return home


def configured_backend() -> str:
    """The backend ``import keras`` will pick, read without importing Keras.

    As Keras decides: ``KERAS_BACKEND``, else the ``backend`` of
    ``keras.json`` in :func:`keras_dir`, else tensorflow.
    """
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    try:
        return str(json.loads((keras_dir() / "keras.json").read_text())["backend"])
    except (OSError, ValueError, KeyError, TypeError):
        return "tensorflow"


#: Keras's backends, and the package each needs (with how to install it).
KERAS_BACKENDS = {
    "tensorflow": ("tensorflow", "pip install tensorflow"),
    "jax": ("jax", "pip install -e '.[jax]'"),
    "torch": ("torch", "pip install torch"),
    "numpy": ("numpy", ""),
    "openvino": ("openvino", "pip install openvino"),
}
#: Backends that train (Keras's NumPy and OpenVINO backends only run inference).
TRAINING_BACKENDS = ("tensorflow", "jax", "torch")


def check_backend(name: str) -> None:
    """ConfigError (one line, before Keras is imported) for a backend Keras does not have, one that
    cannot train, or one whose package is missing."""
    import importlib.util

    from kexp.config.errors import ConfigError

    where = "KERAS_BACKEND" if os.environ.get("KERAS_BACKEND") else f"the backend of {keras_dir() / 'keras.json'}"
    if name not in KERAS_BACKENDS:
        raise ConfigError(
            f"{where}={name} — not a Keras backend; one of {', '.join(KERAS_BACKENDS)} "
            "(kexp trains on tensorflow and jax)"
        )
    if name not in TRAINING_BACKENDS:
        raise ConfigError(f"{where}={name} — Keras's {name} backend cannot train; use tensorflow or jax")
    package, install = KERAS_BACKENDS[name]
    if importlib.util.find_spec(package) is None:
        raise ConfigError(f"{where}={name} — the {package} package is not installed here: {install}")


def backend_module():
    """kexp's module of code for the running Keras backend (tensorflow or jax), else None."""
    import keras

    name = keras.backend.backend()
    if name == "tensorflow":
        from kexp.backends import tensorflow as module
    elif name == "jax":
        from kexp.backends import jax as module
    else:
        return None
    return module


#: In-memory test splits of at most this many samples are predicted by calling the model batch by
#: batch (Keras's advice for small inputs: ``model(x, training=False)``), per backend. TensorFlow then
#: traces no ``predict`` graph: 0.014-0.05 s against ``predict``'s 0.12-0.13 s for the ``mlp`` at 100-360
#: samples, 0.07-0.23 s against 0.16-0.34 s for the slides' ``cnn`` (2,000 samples: slower). JAX
#: compiles every operation of such a call once (0.34-0.76 s against 0.17-0.26 s): it predicts.
#: (2 CPU cores, 2026-12-06.)
PREDICT_BY_CALLS_UP_TO = {"tensorflow": 512}


def predicts_by_calls(samples: int) -> bool:
    """Whether ``samples`` in-memory inputs are predicted faster by calling the model than by ``predict``."""
    import keras

    return samples <= PREDICT_BY_CALLS_UP_TO.get(keras.backend.backend(), 0)
