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


def warn_if_large(model_name: str, model, data, with_optimizer: bool = False) -> None:
    """One line before training when the model is large: its parameters, the size of
    ``model.keras`` (``with_optimizer``: ``trainer.save_optimizer``), and what makes it smaller (the dense layers of the conv nets grow with the
    image size: the slides' cnn is 6.5 M parameters at 28x28x1, 46.6 M at 64x64x3)."""
    parameters = int(model.count_params())
    if parameters <= LARGE_MODEL:
        return
    from kexp.models.shapes import flatten_grows_with_input
    from kexp.runs.disk import human, model_file_bytes
    from kexp.runs.said import say

    shape = "x".join(map(str, data.input_shape))
    lower = "a lower data.image_size, " if flatten_grows_with_input(model) else ""
    say(
        f"kexp: model={model_name} on {shape} inputs has {parameters / 1e6:.1f} M parameters "
        f"(model.keras about {human(model_file_bytes(model, with_optimizer))}) for {len(data.train):,} training samples; "
        f"smaller: {lower}fewer model.filters/dense_units, or model=backbone",
        logging.WARNING,
    )


def warn_if_input_too_small(model_name: str, model, input_shape: tuple[int, ...], rebuild) -> None:
    """One line before training when the inputs are too small for the model: its feature maps are 1x1
    with convolutions or poolings still to come, which then see one pixel (VGG-16 on 8x8 inputs: after
    its third block; it trains at chance), naming the input size at which that stops (``rebuild``:
    the same model for another input shape)."""
    if len(input_shape) != 3:
        return
    from kexp.models.shapes import collapse, smallest_input
    from kexp.runs.said import say

    found = collapse(model)
    if found is None:
        return
    needed = smallest_input(rebuild, input_shape)
    fix = f"data.image_size={needed} or more" if needed else "larger inputs (data.image_size)"
    say(
        f"kexp: model={model_name} on {input_shape[0]}x{input_shape[1]} inputs: its feature maps are 1x1 after "
        f"layer {found.layer}, and the {found.later} convolution/pooling layers after it see one pixel; "
        f"use {fix}, or a smaller model",
        logging.WARNING,
    )
