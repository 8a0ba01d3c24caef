"""``model.txt``: the whole Keras model summary, whatever the terminal's width; a large model said."""

from __future__ import annotations

import logging
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


#: Above this many parameters the size is said before training (the slides' cnn on 28x28x1: 6.5 M).
LARGE_MODEL = 20_000_000


def warn_if_large(cfg, model, data) -> None:
    """One line before training when the model is large: its parameters, the size of
    ``model.keras``, and what makes it smaller (the dense layers of the conv nets grow with the
    image size: the slides' cnn is 6.5 M parameters at 28x28x1, 46.6 M at 64x64x3)."""
    parameters = int(model.count_params())
    if parameters <= LARGE_MODEL:
        return
    from kexp.runs.disk import human, model_file_bytes
    from kexp.runs.said import say

    shape = "x".join(map(str, data.input_shape))
    say(
        f"kexp: model={cfg.model.name} on {shape} inputs has {parameters / 1e6:.1f} M parameters "
        f"(model.keras about {human(model_file_bytes(model))}) for {len(data.train):,} training samples; "
        "smaller: a lower data.image_size, fewer model.filters/dense_units, or model=backbone",
        logging.WARNING,
    )
