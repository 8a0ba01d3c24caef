"""kexp from Python (a notebook, a script): ``kexp.run``, ``kexp.sweep``, ``kexp.compare``.

    import kexp
    result = kexp.run(["model=mlp", "trainer.epochs=3"])
    result.metrics["test_accuracy"], result.history, result.curves(), result.load_model()
    sweep = kexp.sweep({"model": ["cnn", "mlp"], "optimizer": ["sgd", "adam"]}, ["trainer.epochs=3"])
    sweep.summary, sweep.figures
    kexp.compare(["outputs/multirun"])         # a DataFrame, best first

``run`` and ``sweep`` run the command line (:mod:`kexp.api.launch` says why
in a process of its own), so they make the same run directories and files as
``python -m kexp``; bad input raises :class:`kexp.KexpError` whose message is
the line the command line prints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from kexp.api.launch import ReportedError, launch
from kexp.api.results import Result, Sweep
from kexp.config.errors import KexpError
from kexp.config.paths import hydra_quoted

__all__ = ["KexpError", "ReportedError", "Result", "Sweep", "compare", "run", "sweep"]


def run(
    overrides: Sequence[str] = (),
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    progress: bool = True,
) -> Result:
    """Train and evaluate one run, as ``python -m kexp OVERRIDES`` in ``cwd``; its :class:`Result`.

    ``progress`` prints kexp's lines (one per epoch) while it trains. A run that
    diverged returns with ``status == "diverged"``; bad input raises
    :class:`KexpError` with the command line's one-line message.
    """
    args = _as_overrides(overrides)
    if any(a in ("-m", "--multirun") for a in args):
        raise ReportedError("kexp: input error: -m — use kexp.sweep for a sweep")
    done = launch(args, _folder(cwd), dict(env or {}), progress)
    return Result(done.run_dirs[-1])


def sweep(
    grid: Mapping[str, object] | Sequence[str],
    overrides: Sequence[str] = (),
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    progress: bool = True,
) -> Sweep:
    """Run every combination of ``grid`` (``{"model": ["cnn", "mlp"], ...}``, or sweep overrides such
    as ``["model=cnn,mlp"]``) with the fixed ``overrides``, as ``python -m kexp -m``; its :class:`Sweep`."""
    if isinstance(grid, Mapping):
        swept = [f"{key}={_values(value)}" for key, value in grid.items()]
    else:
        swept = _as_overrides(grid)
    done = launch(["-m", *swept, *_as_overrides(overrides)], _folder(cwd), dict(env or {}), progress)
    runs = [Result(path) for path in done.run_dirs]
    return Sweep(runs[0].run_dir.parent, runs)


def compare(paths: Sequence[str | Path] | str | Path, metric: str = "auto"):
    """The runs under ``paths`` (run or sweep directories, mixed) as one table, ranked by ``metric``
    (a result column of ``summary.csv``; ``auto``: the runs' objective); nothing is written."""
    from kexp.reporting.compare.runs import find_runs
    from kexp.reporting.compare.table import ranked, resolve_metric, summary_table

    given = [paths] if isinstance(paths, (str, Path)) else list(paths)
    try:
        runs = find_runs([Path(p) for p in given])
    except FileNotFoundError as err:
        raise ReportedError(f"kexp: input error: {err}") from err
    if not runs:
        raise ReportedError(f"kexp: input error: {', '.join(map(str, given))} — no kexp runs there")
    table = summary_table(runs)
    try:
        column = resolve_metric(metric, table, runs)
    except ValueError as err:
        raise ReportedError(f"kexp: input error: {err}") from err
    return ranked(table, column).reset_index(drop=True)


def _as_overrides(overrides: Sequence[str] | str) -> list[str]:
    if isinstance(overrides, str):
        raise ReportedError(f"kexp: input error: overrides={overrides!r} — give a list, e.g. [{overrides!r}]")
    return [str(o) for o in overrides]


def _values(value: object) -> str:
    """``["cnn", "mlp"]`` → ``cnn,mlp`` (Hydra's sweep), each value written in Hydra's grammar
    (:func:`hydra_literal`) so that it reaches the config as Python gave it; a string is the
    value as the command line types it (``"range(3)"``, ``"cnn,mlp"``); another value is one value."""
    if isinstance(value, (list, tuple)):
        return ",".join(map(hydra_literal, value))
    return value if isinstance(value, str) else hydra_literal(value)


#: A string Hydra reads back as the same string unquoted (a word, a path, a number's look aside).
_PLAIN_STRING = re.compile(r"[A-Za-z_][\w./-]*")
#: Words Hydra reads as something other than a string.
_HYDRA_WORDS = ("null", "true", "false", "nan", "inf")


def hydra_literal(value: object) -> str:
    """``value`` as Hydra's override grammar writes it: ``None`` → ``null``, ``True`` → ``true``,
    a string with a comma or a space quoted (else ``"a,b"`` would be a sweep of two values, and
    ``None`` the string ``'None'``), lists and mappings element by element."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(map(hydra_literal, value)) + "]"
    if isinstance(value, Mapping):
        keys = [str(key) for key in value]
        bad = next((key for key in keys if not re.fullmatch(r"[\w./-]+", key)), None)
        if bad is not None:
            raise ReportedError(
                f"kexp: input error: {bad!r} — a mapping key in an override is letters, digits, _ . / -"
            )
        return "{" + ",".join(f"{key}:{hydra_literal(item)}" for key, item in zip(keys, value.values())) + "}"
    text = str(value)
    if _PLAIN_STRING.fullmatch(text) and text.lower() not in _HYDRA_WORDS:
        return text
    return hydra_quoted(text)


def _folder(cwd: str | Path | None) -> Path | None:
    return Path(cwd).expanduser() if cwd is not None else None
