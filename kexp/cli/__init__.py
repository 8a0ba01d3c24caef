"""The command line: entry point, preflight checks, Hydra compatibility, config lookup.

Nothing in this package imports TensorFlow or Keras at module level, so
``python -m kexp --help`` and config errors stay fast.
"""
