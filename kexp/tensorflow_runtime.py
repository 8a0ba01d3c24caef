"""Everything TensorFlow-specific lives here (GPU memory, device names).

The rest of kexp uses ``keras`` / ``keras.ops`` only and runs on any Keras
backend; this module is imported only when ``keras.backend.backend()`` is
``"tensorflow"``.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_configured = False


def configure_devices(threads: int | None = None) -> list[str]:
    """Turn on GPU memory growth, cap CPU threads (once per process); return the device names."""
    global _configured
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not _configured and threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # the runtime already started in this process
            log.warning("TensorFlow already started: thread counts left as they were")
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


def epoch_seeded_dataset(x, y, batch_size: int, seed: int, first_epoch: int, epochs: int):
    """Training batches for epochs ``first_epoch .. epochs-1`` as one ``tf.data`` pipeline.

    Each epoch's order is a stateless shuffle keyed by ``(seed, epoch)``, so a
    run resumed at epoch k sees exactly the batches an uninterrupted run sees
    there. The arrays become tensors once (no copy per epoch); batches are
    gathered in parallel and prefetched. Returns ``(dataset, steps_per_epoch)``.
    """
    import tensorflow as tf

    count = len(x)
    steps = -(-count // batch_size)
    images, labels = tf.constant(x), tf.constant(y)

    def epoch_order(epoch):
        key = tf.stack([tf.constant(seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=key)
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    dataset = (tf.data.Dataset.range(first_epoch, epochs)
               .flat_map(epoch_order)
               .map(lambda index: (tf.gather(images, index), tf.gather(labels, index)),
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
               .prefetch(tf.data.AUTOTUNE))
    return dataset, steps
