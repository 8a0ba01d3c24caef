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
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)])
    except RuntimeError:  # the runtime already started: keep what it has
        log.warning("TensorFlow already started: the CPU stays one device")


def mirrored_strategy():
    """``tf.distribute.MirroredStrategy`` over every GPU, else over the (logical) CPUs."""
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy(devices=[d.name for d in devices])


def use_determinism(deterministic: bool) -> None:
    """Reproducible TensorFlow kernels for this run when ``deterministic`` (same config and seed → same
    numbers); otherwise TensorFlow's usual ones, even after an earlier run of the process asked for
    determinism (:mod:`kexp.compat.tensorflow`)."""
    from kexp.compat.tensorflow import op_determinism_off, op_determinism_on

    if deterministic:
        op_determinism_on()
    else:
        op_determinism_off()


def epoch_seeded_dataset(split, batch_size: int, seed: int, first_epoch: int, epochs: int):
    """Training batches of ``split`` for epochs ``first_epoch .. epochs-1`` as one ``tf.data`` pipeline.

    Each epoch's order is a stateless shuffle keyed by ``(seed, epoch)``, so a
    run resumed at epoch k sees exactly the batches an uninterrupted run sees
    there. Arrays become tensors once and batches are gathered; files are
    read and decoded per sample in parallel (deterministic order), then
    batched; both prefetched. Per-sample ``split.weights`` make the batches
    ``(x, y, weight)``. Returns ``(dataset, steps_per_epoch)``.
    """
    import tensorflow as tf

    from kexp.data.images import ImageFiles

    count = len(split)
    steps = -(-count // batch_size)
    files = isinstance(split.x, ImageFiles)
    columns = _file_columns(split) if files else None

    def epoch_order(epoch):
        key = tf.stack([tf.constant(seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=key)
        if files:
            return _decoded_batches(split.x, tuple(tf.gather(c, order) for c in columns), batch_size)
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    dataset = tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_order)
    if not files:
        dataset = dataset.map(_batch_reader(split), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.prefetch(tf.data.AUTOTUNE), steps


def ordered_dataset(split, batch_size: int):
    """``(x, y)`` batches of ``split`` in its order, read in parallel and prefetched."""
    import tensorflow as tf

    from kexp.data.images import ImageFiles

    if isinstance(split.x, ImageFiles):
        dataset = _decoded_batches(split.x, _file_columns(split, weights=False), batch_size)
    else:
        dataset = (
            tf.data.Dataset.range(len(split))
            .batch(batch_size)
            .map(_batch_reader(split, weights=False), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def _file_columns(split, weights: bool = True) -> tuple:
    """The paths, targets (and weights) of a split of image files, as tensors."""
    import tensorflow as tf

    return (tf.constant(split.x.paths.astype(str)), *_targets(split, weights))


def _decoded_batches(files, columns: tuple, batch_size: int):
    """Batches from ``columns`` (paths, targets[, weights], in the order wanted): each path read
    and decoded in parallel (order kept), whole batches scaled to [0, 1]."""
    import tensorflow as tf

    decode = image_decoder(files)
    return (
        tf.data.Dataset.from_tensor_slices(columns)
        .map(lambda path, *rest: (decode(path), *rest), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size)
        .map(_to_unit_range)
    )


def _targets(split, weights: bool) -> tuple:
    import tensorflow as tf

    return tuple(tf.constant(a) for a in (split.y, split.weights if weights else None) if a is not None)


def _batch_reader(split, weights: bool = True):
    """index batch → ``(x, y[, weight])`` for arrays: gathered from tensors made once, or
    read from a memory map (only the batch's rows are read)."""
    import tensorflow as tf

    from kexp.data.images import LazyRows

    extras = _targets(split, weights)
    if isinstance(split.x, LazyRows):
        rows, shape = split.x, split.x.shape[1:]

        def read(index):
            x = tf.numpy_function(rows.load, [index], tf.float32)
            x.set_shape((None, *shape))
            return (x, *(tf.gather(a, index) for a in extras))

        return read
    x = tf.constant(split.x)
    return lambda index: (tf.gather(x, index), *(tf.gather(a, index) for a in extras))


def _to_unit_range(images, *rest):
    """A batch of decoded images (0..255) divided by 255: one op per batch, not per image."""
    return (images / 255.0, *rest)


def image_decoder(files):
    """path → float32 image of ``files.size`` and channels (0..255), as ``image_dataset_from_directory`` decodes
    (:func:`_to_unit_range` scales whole batches to [0, 1]).

    ``tf.io.decode_image`` (JPEG, PNG, BMP, GIF first frame), then a bilinear
    resize, or Keras's ``smart_resize`` (centre crop to the aspect ratio) with
    ``crop_to_aspect_ratio``.
    """
    import keras
    import tensorflow as tf

    channels, size = files.channels, list(files.size)

    def decode(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        if files.crop_to_aspect_ratio:
            image = keras.preprocessing.image.smart_resize(image, size, interpolation="bilinear")
        else:
            image = tf.image.resize(image, size, method="bilinear")
        image.set_shape((*size, channels))
        return image

    return decode


def undecodable_files(paths, channels: int) -> list[int]:
    """Indices of ``paths`` that TensorFlow cannot decode (a parallel pass that keeps the survivors)."""
    import numpy as np
    import tensorflow as tf

    names = tf.constant(np.asarray(paths).astype(str))

    def check(i):  # returns the decoded size, so the decoding is not pruned as unused
        image = tf.io.decode_image(tf.io.read_file(names[i]), channels=channels, expand_animations=False)
        return i, tf.size(image)

    dataset = tf.data.Dataset.range(len(paths)).map(check, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()
    good = {int(i) for i, _ in dataset.as_numpy_iterator()}
    return sorted(set(range(len(paths))) - good)


def loss_gradients(model, loss_fn, x, y, variables) -> list:
    """Gradients of ``mean(loss_fn(y, model(x)))`` with respect to ``variables`` (training mode)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(loss_fn(y, model(x, training=True)))
    return [g.numpy() if g is not None else None for g in tape.gradient(loss, variables)]


def litert_int8_options() -> dict:
    """``model.export(format="litert")`` options for int8 weights (the converter's dynamic-range quantization)."""
    import tensorflow as tf

    return {"optimizations": [tf.lite.Optimize.DEFAULT]}


def saved_model_predictor(path):
    """A SavedModel exported by Keras, loaded by TensorFlow: a function from a NumPy batch to outputs."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    return lambda x: loaded.serve(tf.constant(x)).numpy()


def device_kind() -> str:
    """``gpu`` when TensorFlow sees a GPU, else ``cpu``."""
    import tensorflow as tf

    return "gpu" if tf.config.list_logical_devices("GPU") else "cpu"
