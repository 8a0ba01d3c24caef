"""Everything that depends on which Keras backend runs.

- :mod:`kexp.backends.start`: start the backend (seed, precision, threads,
  devices) and pick the device strategy; dispatches to the modules below.
- :mod:`kexp.backends.tensorflow`: the only TensorFlow-specific code
  (GPU memory, tf.data, tf.distribute, GradientTape).
- :mod:`kexp.backends.jax`: the only JAX-specific code (jax.grad).

The rest of kexp uses ``keras`` and ``keras.ops`` only.
"""
