"""kexp: config-driven Keras experiments.

Importing the package is cheap on purpose: TensorFlow/Keras are imported only
when a run starts (see :mod:`kexp.runs.pipeline`), so ``python -m kexp --help`` is fast.
"""

__version__ = "0.1.0"
