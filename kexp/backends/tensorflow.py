"""Everything TensorFlow-specific lives here (GPU memory, devices, tf.data, tf.distribute).

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


def split_cpu(count: int) -> None:
    """Present the CPU as ``count`` logical devices (before TensorFlow starts; for testing strategies)."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)])
    except RuntimeError:  # the runtime already started: keep what it has
        log.warning("TensorFlow already started: the CPU stays one device")


def mirrored_strategy():
    """``tf.distribute.MirroredStrategy`` over every GPU, else over the (logical) CPUs."""
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy(devices=[d.name for d in devices])


def enable_determinism() -> None:
    """Reproducible TensorFlow kernels (same config and seed → same numbers)."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()


def epoch_seeded_dataset(x, y, batch_size: int, seed: int, first_epoch: int, epochs: int,
                         weights=None):
    """Training batches for epochs ``first_epoch .. epochs-1`` as one ``tf.data`` pipeline.

    Each epoch's order is a stateless shuffle keyed by ``(seed, epoch)``, so a
    run resumed at epoch k sees exactly the batches an uninterrupted run sees
    there. The arrays become tensors once (no copy per epoch); batches are
    gathered in parallel and prefetched; ``weights`` (per sample) make the
    batches ``(x, y, weight)``. Returns ``(dataset, steps_per_epoch)``.
    """
    import tensorflow as tf

    count = len(x)
    steps = -(-count // batch_size)
    arrays = tuple(tf.constant(a) for a in (x, y, weights) if a is not None)

    def epoch_order(epoch):
        key = tf.stack([tf.constant(seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=key)
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    dataset = (tf.data.Dataset.range(first_epoch, epochs)
               .flat_map(epoch_order)
               .map(lambda index: tuple(tf.gather(a, index) for a in arrays),
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
               .prefetch(tf.data.AUTOTUNE))
    return dataset, steps


def loss_gradients(model, loss_fn, x, y, variables) -> list:
    """Gradients of ``mean(loss_fn(y, model(x)))`` with respect to ``variables`` (training mode)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(loss_fn(y, model(x, training=True)))
    return [g.numpy() if g is not None else None for g in tape.gradient(loss, variables)]
