"""Every use of TensorFlow's private API in one place.

TensorFlow turns op determinism on publicly (``tf.config.experimental.enable_op_determinism``)
but has no public way to ask whether it is on or to turn it off again. A run with
``trainer.deterministic=true`` turns it on for itself; the next run of the same process — a
sweep's next job, a notebook's next call — that did not ask for it should not inherit it (it
also turns TensorFlow's automatic XLA off). :func:`op_determinism_off` undoes only what kexp
did.

``tests/compat/test_tensorflow.py`` checks every name in :data:`PRIVATE_API` against the
installed TensorFlow, so a release that renames one fails there, naming it.
"""

from __future__ import annotations

#: ``module`` → the private functions kexp uses in it.
PRIVATE_API = {
    "tensorflow.python.framework.config": ("is_op_determinism_enabled", "disable_op_determinism"),
}

#: Whether kexp turned op determinism on in this process (and has not turned it off since).
_turned_on_by_kexp = False


def op_determinism_on() -> None:
    """Reproducible TensorFlow kernels from now on (same config and seed → same numbers)."""
    global _turned_on_by_kexp
    import tensorflow as tf
    from tensorflow.python.framework import config

    if not config.is_op_determinism_enabled():
        tf.config.experimental.enable_op_determinism()
        _turned_on_by_kexp = True


def op_determinism_off() -> None:
    """TensorFlow's usual kernels again, where kexp turned determinism on (a user's own setting stays)."""
    global _turned_on_by_kexp
    if _turned_on_by_kexp:
        from tensorflow.python.framework import config

        config.disable_op_determinism()
        _turned_on_by_kexp = False
