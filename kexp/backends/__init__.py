"""Everything that depends on which Keras backend runs.

- :mod:`kexp.backends.start`: start the backend (seed, precision, threads,
  devices) and pick the device strategy; dispatches to the modules below.
- :mod:`kexp.backends.tensorflow`: the only TensorFlow-specific code
  (GPU memory, tf.data, tf.distribute, GradientTape).
- :mod:`kexp.backends.jax`: the only JAX-specific code (jax.grad).

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
