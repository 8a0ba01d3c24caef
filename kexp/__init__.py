"""kexp: config-driven Keras experiments.

Importing the package is cheap on purpose: TensorFlow/Keras are imported only
when a run starts (see :mod:`kexp.runs.pipeline`), so ``python -m kexp --help`` is fast.
From Python: ``kexp.run``, ``kexp.sweep``, ``kexp.compare`` (:mod:`kexp.api`),
loaded on first use. (``kexp.compare`` is also ``python -m kexp.compare``'s package;
once imported, that package is callable as the same function.)
"""

__version__ = "0.1.0"

_API = ("run", "sweep", "compare", "Result", "Sweep", "KexpError")


def __getattr__(name: str):
    if name in _API:
        from kexp import api

        return getattr(api, name)
    raise AttributeError(f"module 'kexp' has no attribute {name!r}")
