"""Start the Keras backend: seed it and name the devices it will use."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def start_backend(seed: int, deterministic: bool = False, threads: int | None = None) -> str:
    """Import Keras, prepare the devices, seed Python/NumPy/backend; return a description.

    ``deterministic`` asks the backend for reproducible kernels (TensorFlow:
    op determinism, which also turns automatic XLA off); ``threads`` caps the
    CPU threads it uses (set before the backend starts).
    """
    if threads:
        for variable in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
            os.environ.setdefault(variable, str(threads))
        os.environ["TF_NUM_INTEROP_THREADS"] = "1"
        log.info("CPU threads for this job: %d", threads)
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        from kexp.tensorflow_runtime import configure_devices, enable_determinism

        devices = configure_devices(threads)
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
