"""``python -m kexp.course conv|params``: the teaching texts' worked examples, computed by Keras.

``conv``: the slides' convolution (002) — a 4x4 input 1..16, the 3x3 filter
[[1,1,1],[2,0,1],[-1,-1,0]] and bias 3 through a ``keras.layers.Conv2D`` give
[[7,11],[23,27]], as the slide shows. ``params``: fully connected vs
convolutional parameter counts (003, 004), each number read off a built Keras
layer or model. The demonstrations that train are ``experiment=demo_*`` presets
(docs/course.md).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import kexp.cli  # noqa: F401  (TensorFlow's start-up lines hidden, as for every kexp command)

#: The slide's example (002): input, filter, bias and the output it shows.
SLIDE_INPUT = np.arange(1, 17, dtype="float32").reshape(4, 4)
SLIDE_FILTER = np.array([[1, 1, 1], [2, 0, 1], [-1, -1, 0]], dtype="float32")
SLIDE_BIAS = 3.0
SLIDE_OUTPUT = np.array([[7, 11], [23, 27]], dtype="float32")


def worked_convolution() -> np.ndarray:
    """The slide's output, computed by a Keras ``Conv2D`` set to its filter and bias."""
    from kexp.backends.quiet import import_keras_quietly

    keras = import_keras_quietly()

    conv = keras.layers.Conv2D(1, 3)
    conv.build((1, 4, 4, 1))
    conv.set_weights([SLIDE_FILTER.reshape(3, 3, 1, 1), np.array([SLIDE_BIAS], dtype="float32")])
    return keras.ops.convert_to_numpy(conv(SLIDE_INPUT.reshape(1, 4, 4, 1)))[0, :, :, 0]


def parameter_counts() -> list[tuple[str, int]]:
    """(what, parameters) of the texts' comparisons, each from a built Keras layer or model."""
    from kexp.backends.quiet import import_keras_quietly

    keras = import_keras_quietly()

    from kexp.config.run_settings import run_settings
    from kexp.lr_find.cli import compose_run_config
    from kexp.models import build_model

    def built(layer: Any, shape: tuple[int | None, ...]) -> int:
        layer.build(shape)
        return int(layer.count_params())

    def model(name: str, shape: tuple[int, ...], classes: int) -> int:
        settings = run_settings(compose_run_config([f"model={name}"]))
        return int(build_model(settings.model, shape, classes, settings.regularization).count_params())

    return [
        ("003: Affine from a 32x25x62 map (49,600 values) to 73 outputs: weights", 32 * 25 * 62 * 73),
        (
            "     the same as a keras Dense(73) on 49,600 inputs (+73 biases)",
            built(keras.layers.Dense(73), (None, 49_600)),
        ),
        (
            "003: a 3x3 convolution, 32 channels in and out (9 weights per pair, + 32 biases)",
            built(keras.layers.Conv2D(32, 3), (None, 25, 62, 32)),
        ),
        ("004: Dense 784 -> 784 (every input to every unit, + biases)", built(keras.layers.Dense(784), (None, 784))),
        ("004: model=mlp784 at 28x28x1, 10 classes", model("mlp784", (28, 28, 1), 10)),
        ("002: model=cnn, the slides' Conv-Pool-Dense net, at 28x28x1, 10 classes", model("cnn", (28, 28, 1), 10)),
        (
            "003: model=nnc_cnn at 100x248x1, 73 classes (its Affine is the example above)",
            model("nnc_cnn", (100, 248, 1), 73),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Print a worked example: ``conv`` or ``params``."""
    parser = argparse.ArgumentParser(prog="python -m kexp.course", description=__doc__.splitlines()[0])
    parser.add_argument("example", choices=["conv", "params"], help="which worked example to print")
    args = parser.parse_intermixed_args(argv)
    if args.example == "conv":
        out = worked_convolution()
        print("input X (4x4)          filter F (3x3)     bias b")
        for i in range(4):
            row = " ".join(f"{v:3.0f}" for v in SLIDE_INPUT[i])
            fil = " ".join(f"{v:3.0f}" for v in SLIDE_FILTER[i]) if i < 3 else " " * 11
            print(f"{row}        {fil}      {SLIDE_BIAS:.0f}" if i == 0 else f"{row}        {fil}")
        print("output Y = sum of X x F over each 3x3 window, + b (keras.layers.Conv2D):")
        for row in out:
            print(" ".join(f"{v:4.0f}" for v in row))
        same = np.array_equal(out, SLIDE_OUTPUT)
        print("as on the slide: [[7, 11], [23, 27]]" if same else "DIFFERS from the slide's [[7, 11], [23, 27]]")
        return 0 if same else 1
    for what, count in parameter_counts():
        print(f"{count:>12,}  {what}")
    return 0
