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
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "th{background:#eee}img{max-width:100%}</style></head><body>",
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
        parts.append(table.to_html(index=False, float_format=lambda v: f"{v:.4f}", na_rep="", escape=True))
    parts.append("</body></html>")
    return "\n".join(parts)
