"""``model.txt``: the whole Keras model summary, whatever the terminal's width."""

from __future__ import annotations

import os

#: Width of ``model.txt``: every column of Keras's summary, whatever the terminal.
SUMMARY_WIDTH = 120


def model_summary_text(model, width: int = SUMMARY_WIDTH) -> str:
    """``model.summary()`` as text, ``width`` columns wide: layers, output shapes, parameter counts, totals.

    Keras draws the table with ``rich``, whose console takes its width from
    ``COLUMNS`` (80 when the output is not a terminal) and cuts the table
    there, dropping the ``Param #`` column; ``COLUMNS`` is set for the call.
    """
    chunks: list[str] = []
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        model.summary(print_fn=lambda text, line_break=True: chunks.append(text), line_length=width)
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    return "\n".join(chunks) + "\n"
