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
