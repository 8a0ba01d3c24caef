"""The command line: entry point, preflight checks, Hydra compatibility, config lookup.

Nothing in this package imports TensorFlow or Keras at module level, so
``python -m kexp --help`` and config errors stay fast.

TensorFlow's C++ start-up lines (oneDNN, CPU features, "failed call to
cuInit" on machines without a GPU, each printed again by every process) are
hidden for every kexp command unless the user set ``TF_CPP_MIN_LOG_LEVEL``
themselves (``TF_CPP_MIN_LOG_LEVEL=0`` shows them all). Python-level errors
and warnings are not affected.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
