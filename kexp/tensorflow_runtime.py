"""Everything TensorFlow-specific lives here (GPU memory, device names).

The rest of kexp uses ``keras`` / ``keras.ops`` only and runs on any Keras
backend; this module is imported only when ``keras.backend.backend()`` is
``"tensorflow"``.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_configured = False


def configure_devices() -> list[str]:
    """Turn on GPU memory growth (once per process) and return the device names."""
    global _configured
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not _configured:
        for gpu in gpus:
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:  # the GPU was already initialised in this process
                pass
        _configured = True
    if not gpus:
        return ["CPU"]
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(f"{gpu.name} ({details.get('device_name', 'GPU')})")
    return names


def enable_determinism() -> None:
    """Reproducible TensorFlow kernels (same config and seed → same numbers)."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
