"""``python -m kexp.diff A B [--html DIR] [--json]``: what differs between two runs, and from when.

``A`` and ``B`` are run directories, or ``SWEEP_DIR:key=value[,key=value]``: the runs of a
sweep with those settings (their seeds give intervals and bands). Prints Markdown (config,
provenance and metric differences, the epoch the curves separate); ``--json`` prints the same as
JSON; ``--html DIR`` also writes ``diff.html`` with both sides' curves overlaid (``diff_curves.png``);
``--html NAME.html`` writes that page, the PNG beside it.
Errors are one line, exit 2, nothing written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import kexp.cli  # noqa: F401  (TensorFlow's start-up lines hidden, as for every kexp command)
from kexp.config.errors import KexpError
from kexp.config.paths import missing_directory
from kexp.runs.layout import DIFF_CURVES, DIFF_HTML


def _side(text: str):
    from kexp.diff.differences import DiffError, side

    path, _, selection = text.partition(":") if ":" in text and not Path(text).exists() else (text, "", "")
    if not Path(path).is_dir():
        raise DiffError(f"{text} — {missing_directory(path)}")
    runs = side(Path(path), selection)
    if not runs:
        raise DiffError(f"{text} — no finished kexp run there" + (f" with {selection}" if selection else ""))
    return runs


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m kexp.diff", description=__doc__.splitlines()[0])
    parser.add_argument("a", help="a run directory, or SWEEP_DIR:key=value[,key=value]")
    parser.add_argument("b", help="the other one")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument(
        "--html",
        type=Path,
        help="also write diff.html and diff_curves.png into this directory (or NAME.html and the PNG beside it)",
    )
    args = parser.parse_intermixed_args(argv)
    from kexp.diff.differences import DiffError, diff

    try:
        page = html_page(args.html) if args.html is not None else None
        if page is not None and page.parent.exists() and not page.parent.is_dir():
            raise DiffError(f"--html {args.html} — not a directory")
        a, b = _side(args.a), _side(args.b)
        result = diff(a, b, (args.a, args.b))
    except KexpError as err:
        print(err.one_line(), file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.markdown())
    if page is not None:
        write_html(result, a, b, page)
        print(f"kexp.diff: {page}", file=sys.stderr)
    return 0


def html_page(given: Path) -> Path:
    """The page ``--html`` names: ``NAME.html`` itself, else ``diff.html`` in that directory."""
    return given if given.suffix.lower() in (".html", ".htm") else given / DIFF_HTML


def write_html(result, a, b, page: Path) -> None:
    """``page`` (the Markdown's tables and the overlaid curves) and ``diff_curves.png`` beside it."""
    import pandas as pd

    from kexp.diff.differences import curves_figure, readable
    from kexp.reporting.compare.report import html_report
    from kexp.runs.atomic import save_figure, write_text

    out = page.parent
    out.mkdir(parents=True, exist_ok=True)
    save_figure(curves_figure(a, b, result.names), out / DIFF_CURVES)
    none = [("(no differences)", "", "")]  # (an empty table showed only its header)
    tables = [
        ("Config", pd.DataFrame(result.config or none, columns=["key", "a", "b"]).astype(str)),
        ("Provenance", pd.DataFrame(result.provenance or none, columns=["key", "a", "b"]).astype(str)),
        ("Metrics", readable(result.metrics)),
    ]
    html = html_report(f"{result.names[0]} vs {result.names[1]}", [out / DIFF_CURVES], tables, [result.separation])
    write_text(page, html)
