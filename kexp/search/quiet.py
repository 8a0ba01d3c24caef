"""Optuna's experimental-feature warnings, silenced where kexp uses such a feature on purpose."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_experimental() -> Iterator[None]:
    """Inside: no ``ExperimentalWarning`` (metric names, heartbeats and their retry callback,
    importances), nor Optuna's note that heartbeats are "supposed to be used with Study.optimize"
    (kexp records them itself around its ask-and-tell loop: :class:`kexp.search.sweeper.Heartbeats`)."""
    from optuna.exceptions import ExperimentalWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ExperimentalWarning)
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")
        yield
