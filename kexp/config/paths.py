"""Paths as people type them: ``~`` and ``$VARS`` in override values.

Hydra's override grammar rejects ``~`` and a bare ``$`` outside quotes
(``data.path=~/photos`` is a lexer error). :func:`quote_for_hydra` quotes such a
value before Hydra parses the command line, so it reaches the config as typed;
:func:`expand` turns it into the path it names where a path is used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: ``~`` anywhere, or ``$`` not opening an OmegaConf interpolation ``${...}``.
_NEEDS_QUOTES = re.compile(r"~|\$(?!\{)")


def quote_for_hydra(override: str) -> str:
    """``key=~/x`` → ``key='~/x'``; a value holding ``=`` outside a sweep function's parentheses
    too (never valid unquoted: a run directory kexp named, ``hydra.run.dir=…_model=mlp,trainer.epochs=1``).
    Already quoted values, sweeps and lists are left as they are."""
    key, sep, value = override.partition("=")
    if not sep or not value or value[0] in "'\"[{(":
        return override
    holds_equals = "=" in value and "(" not in value
    if not holds_equals and ("," in value or not _NEEDS_QUOTES.search(value)):
        return override
    return f"{key}={hydra_quoted(value)}"


def hydra_quoted(text: str) -> str:
    """``text`` in single quotes as Hydra's grammar reads it back unchanged: a quote escaped, and
    the backslashes before a quote or at the end doubled (Hydra reads any other backslash as itself)."""
    escaped = re.sub(r"(\\*)'", lambda match: match.group(1) * 2 + "\\'", text)
    escaped = re.sub(r"(\\+)$", lambda match: match.group(1) * 2, escaped)
    return f"'{escaped}'"


def expand(path: str | os.PathLike) -> Path:
    """``path`` with ``~`` and ``$VARS`` expanded."""
    return Path(os.path.expandvars(os.path.expanduser(os.fspath(path))))


def missing_directory(path: str | os.PathLike) -> str:
    """Why ``path`` is no directory, in the words of an error line: a file there, or nothing."""
    return "not a directory" if Path(os.fspath(path)).exists() else "no such directory"
