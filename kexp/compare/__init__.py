"""``python -m kexp.compare``: any runs compared — ``cli.py`` (the command); the comparison itself is
shared with the end-of-sweep callback and lives in :mod:`kexp.reporting.compare`.
"""

import sys
import types


class _CallableCommand(types.ModuleType):
    """``kexp.compare(...)`` is the Python API's compare (:func:`kexp.api.compare`) even once this
    package, ``python -m kexp.compare``'s, has been imported and taken the name ``kexp.compare``."""

    def __call__(self, *args, **kwargs):
        from kexp.api import compare

        return compare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableCommand
