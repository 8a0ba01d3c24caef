"""``report.html``: one self-contained page (images embedded) readable offline."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd


def html_report(
    title: str,
    images: list[Path | tuple[str, Path]],
    tables: list[tuple[str, pd.DataFrame]],
    notes: list[str] | None = None,
) -> str:
    """The page: ``notes`` as paragraphs, the plots (as data URIs; a plain path is headed by its
    name, a (heading, path) pair by the heading), then each titled table."""
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
        "font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}"
        "th{background:#eee}img{max-width:100%}.scroll{overflow-x:auto;max-height:36em;overflow-y:auto}"
        "</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    parts += [f"<p>{html.escape(note)}</p>" for note in notes or []]
    for entry in images:
        heading, image = entry if isinstance(entry, tuple) else (entry.stem, entry)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        parts.append(
            f"<h2>{html.escape(heading)}</h2><img alt='{html.escape(image.name)}' src='data:image/png;base64,{data}'>"
        )
    for heading, table in tables:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        shown = table.to_html(index=False, formatters=formatters(table), na_rep="", escape=True)
        parts.append(f"<div class='scroll'>{shown}</div>")  # (a wide or long table scrolls in its box)
    parts.append("</body></html>")
    return "\n".join(parts)


#: Columns that count things: shown as integers with thousands separators.
COUNTS = ("runs", "seeds", "epochs", "parameters", "macs", "seeds_for_power", "job", "look", "trial", "number")
#: Columns that are probabilities or test levels: shown to three significant digits.
PROBABILITIES = ("p_vs_best", "p_beats_best", "p_value", "threshold")


def formatters(table: pd.DataFrame) -> dict[str, object]:
    """How each numeric column of ``table`` reads: counts (and columns of whole numbers beyond 0
    and 1, as a searched ``trainer.batch_size``) as integers, p-values to 3 significant digits, the
    rest to 4 decimals (3 significant digits below 0.01: a learning rate of 0.00014 is no 0.0001)."""
    found: dict[str, object] = {}
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]) or pd.api.types.is_bool_dtype(table[column]):
            continue
        values = table[column].dropna().astype(float)
        whole = len(values) > 0 and bool((values == values.round()).all()) and bool((values.abs() > 1).any())
        if str(column) in COUNTS or whole:
            found[column] = _count
        elif str(column) in PROBABILITIES:
            found[column] = _probability
        else:
            found[column] = _decimal
    return found


def _count(value: float) -> str:
    if value != value:
        return ""
    return "∞" if value == float("inf") else f"{int(value):,}"


def _probability(value: float) -> str:
    return "" if value != value else f"{value:.3g}"


def _decimal(value: float) -> str:
    if value != value:
        return ""
    return f"{value:.3g}" if 0 < abs(value) < 0.01 else f"{value:.4f}"
