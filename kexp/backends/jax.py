"""JAX-specific code (imported only when ``keras.backend.backend()`` is ``"jax"``)."""

from __future__ import annotations


def loss_gradients(model, loss_fn, x, y, variables) -> list:
    """Gradients of ``mean(loss_fn(y, model(x)))`` with respect to ``variables`` (training mode).

    Uses Keras's ``stateless_call`` so that JAX differentiates a pure function
    of the trainable values.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    wanted = {id(v): i for i, v in enumerate(model.trainable_variables)}

    def loss(values):
        y_pred, _ = model.stateless_call(values, non_trainable, x, training=True)
        return jnp.mean(loss_fn(y, y_pred))

    grads = jax.grad(loss)(trainable)
    return [np.asarray(grads[wanted[id(v)]]) if id(v) in wanted else None for v in variables]


def initialize_processes(coordinator: str, num_processes: int, process_id: int, timeout: float) -> None:
    """Join a multi-process JAX run: ``jax.distributed.initialize`` (what ``keras.distribution.initialize``
    wraps, here with its time-out), before JAX first touches a device."""
    import jax

    jax.distributed.initialize(
        coordinator_address=coordinator,
        num_processes=num_processes,
        process_id=process_id,
        initialization_timeout=max(int(timeout), 1),
    )


def process_shard() -> tuple[int, int]:
    """``(this process's index, number of processes)`` of the JAX run."""
    import jax

    return jax.process_index(), jax.process_count()


def local_device_count() -> int:
    """Devices this process drives (its share of ``keras.distribution.list_devices()``)."""
    import jax

    return jax.local_device_count()


def unshare_averaged_weights(model) -> None:
    """Give each trainable variable a buffer of its own after ``fit`` with ``use_ema``.

    Keras's ``finalize_variable_values`` assigns the moving average to the model's variables;
    on JAX both then hold the same array, the next ``evaluate`` donates it, and saving the
    model fails with "Array has been deleted" (Keras 3.15; fit → evaluate → save with
    ``use_ema=True``, tested in tests/training/test_trainer.py). A copy breaks the sharing.
    """
    import keras

    for variable in model.trainable_variables:
        variable.assign(keras.ops.copy(variable.value))


def device_kind() -> str:
    """``cpu``, ``gpu`` or ``tpu``: the platform of JAX's first device."""
    import jax

    return str(jax.devices()[0].platform)
