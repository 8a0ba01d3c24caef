"""What a built model does to its input's size: where the feature maps collapse to 1x1.

A conv net downsamples by a fixed factor (VGG's five poolings: 32). Fed smaller
images, its maps reach 1x1 early and the poolings after that do nothing: VGG-16
on 8x8 inputs is 1x1 after its third block. :func:`collapse` finds that point
from the layers' output shapes (Keras's own, after the model is built).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras


@dataclass(frozen=True)
class Collapse:
    """The feature maps are 1x1 after ``layer``; ``later`` layers with a spatial window (a kxk
    convolution, a pooling) follow it and see one pixel."""

    layer: str
    later: int


def _layers(model: keras.Model) -> list[keras.Layer]:
    """Every layer of ``model`` in order, nested models opened."""
    out: list[keras.Layer] = []
    for layer in model.layers:
        out += _layers(layer) if isinstance(layer, keras.Model) else [layer]
    return out


def _has_window(layer: keras.Layer) -> bool:
    """A layer that looks at a neighbourhood: a convolution wider than 1x1, or a pooling."""
    window = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if window is None:
        return False
    return any(int(s) > 1 for s in (window if isinstance(window, (tuple, list)) else (window,)))


def _spatial(layer: keras.Layer) -> tuple[int, ...] | None:
    try:
        shape = tuple(layer.output.shape)
    except (AttributeError, ValueError):  # (a layer used several times, or not built on a symbolic input)
        return None
    return tuple(int(s) for s in shape[1:-1]) if len(shape) == 4 and None not in shape[1:-1] else None


def collapse(model: keras.Model) -> Collapse | None:
    """Where the maps become 1x1 with more than a quarter of the windowed layers still to come (they
    see one pixel); None when they never do, or fewer follow (VGG-16 on 28x28: its last 3 convolutions
    of 16 windowed layers, as small inputs usually are fed to it; on 8x8: 6 of 16, and it trains at chance)."""
    layers = _layers(model)
    windowed = sum(_has_window(layer) for layer in layers)
    for index, layer in enumerate(layers):
        spatial = _spatial(layer)
        if spatial is not None and all(s == 1 for s in spatial):
            later = sum(_has_window(after) for after in layers[index + 1 :])
            return Collapse(layer.name, later) if 4 * later > windowed else None
    return None


def smallest_input(build: Callable[[tuple[int, ...]], keras.Model], input_shape: tuple[int, ...]) -> int | None:
    """The smallest input side (doubling from ``input_shape``'s, at most 16x) at which ``build``'s model
    no longer collapses; None beyond that."""
    side = min(int(input_shape[0]), int(input_shape[1]))
    for factor in (2, 4, 8, 16):
        if collapse(build((side * factor, side * factor, *input_shape[2:]))) is None:
            return side * factor
    return None


def flatten_grows_with_input(model: keras.Model) -> bool:
    """Whether a Flatten layer sees maps larger than 1x1 (then a smaller input means fewer parameters)."""
    for layer in _layers(model):
        if isinstance(layer, keras.layers.Flatten):
            try:
                shape = tuple(layer.input.shape)
            except (AttributeError, ValueError):
                return True
            if len(shape) == 4 and all(s is not None and int(s) > 1 for s in shape[1:-1]):
                return True
    return False
