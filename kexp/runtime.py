"""Start the Keras backend: seed it and name the devices it will use."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def start_backend(seed: int, deterministic: bool = False) -> str:
    """Import Keras, prepare the devices, seed Python/NumPy/backend; return a description.

    ``deterministic`` asks the backend for reproducible kernels (TensorFlow:
    op determinism, which also turns automatic XLA off).
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        from kexp.tensorflow_runtime import configure_devices, enable_determinism

        devices = configure_devices()
        if deterministic:
            enable_determinism()
    elif backend == "jax":
        import jax

        devices = [str(d) for d in jax.devices()]
    else:
        devices = ["(see backend)"]
    keras.utils.clear_session()
    keras.utils.set_random_seed(seed)
    description = f"Keras {keras.__version__}, backend {backend}, devices: {', '.join(devices)}"
    log.info(description)
    return description
