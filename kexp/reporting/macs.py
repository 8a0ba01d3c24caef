"""The cost of a model: multiply-accumulates (MACs) of one forward pass, per layer.

Counted from each layer's input and output shapes for one sample, the way
papers count "FLOPs" (one multiply-add = 1):

=========================  ==================================================
Conv2D                     out_h · out_w · filters · (k_h · k_w · in_channels / groups)
Dense                      (positions) · in_units · units
MaxPooling / AveragePool   out_h · out_w · channels · (p_h · p_w)
Global pooling             in_h · in_w · channels
BatchNormalization         one multiply-add per element (inference form)
PReLU, RReLU, Maxout, Add  one per element of the input (Maxout: of its pieces)
Multiply, Rescaling        one per output element
free (FREE_LAYERS)          0: activations, reshapes, dropout, augmentation,
                           padding, concatenation
=========================  ==================================================

Biases and activations are left out, as in the papers' tables. Only the
inference path counts: GoogLeNet's training-only auxiliary heads are left
out (``model.txt`` says how many MACs they add in training). A layer type the
counter does not know counts 0 and is named in ``model.txt``.
"""

from __future__ import annotations

import math

import keras
import pandas as pd


def _size(shape) -> int:
    return int(math.prod(d for d in shape[1:] if d is not None))


def _shape(tensor_or_list):
    if isinstance(tensor_or_list, (list, tuple)):
        return tensor_or_list[0].shape
    return tensor_or_list.shape


#: Layer types that cost no multiply-adds worth counting.
FREE_LAYERS = frozenset(
    {
        "InputLayer",
        "Activation",
        "ReLU",
        "LeakyReLU",
        "ELU",
        "Softmax",
        "Flatten",
        "Reshape",
        "Dropout",
        "SpatialDropout2D",
        "ZeroPadding2D",
        "Concatenate",
        "RandomFlip",
        "RandomTranslation",
        "RandomRotation",
        "RandomZoom",
        "ChannelPad",
        "Identity",
        "Cropping2D",
        "Permute",
        "RepeatVector",
    }
)
_COUNTED = frozenset(
    {
        "MaxPooling2D",
        "AveragePooling2D",
        "GlobalAveragePooling2D",
        "GlobalMaxPooling2D",
        "BatchNormalization",
        "PReLU",
        "RReLU",
        "Maxout",
        "Add",
        "LayerNormalization",
        "Multiply",
        "Rescaling",
    }
)


def is_known(layer: keras.Layer) -> bool:
    """Whether the counter knows what ``layer`` costs (counted, or free by design)."""
    name = type(layer).__name__
    return isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)) or name in _COUNTED or name in FREE_LAYERS


def layer_macs(layer: keras.Layer) -> int:
    """MACs of one call of ``layer`` on one sample (0 for layers that only move data)."""
    try:
        inp, out = _shape(layer.input), _shape(layer.output)
    except (AttributeError, ValueError, IndexError):  # an Input, never called, or shared
        return 0
    name = type(layer).__name__
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        groups = getattr(layer, "groups", 1) or 1
        return _size(out) * kh * kw * int(inp[-1]) // groups
    if isinstance(layer, keras.layers.Dense):
        return _size(out) * int(inp[-1])
    if name in ("MaxPooling2D", "AveragePooling2D"):
        ph, pw = layer.pool_size
        return _size(out) * ph * pw
    if name in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        return _size(inp)
    if name in ("BatchNormalization", "PReLU", "RReLU", "Maxout", "Add", "LayerNormalization"):
        return _size(inp)
    if name in ("Multiply", "Rescaling"):
        return _size(out)
    return 0


def leaf_layers(model: keras.Model):
    """Every layer of ``model`` in order, nested models flattened (AuxiliaryLossModel: its network)."""
    for layer in getattr(model, "network", model).layers:
        if isinstance(layer, keras.Model):
            yield from leaf_layers(layer)
        else:
            yield layer


def inference_model(model: keras.Model) -> keras.Model:
    """The layers a prediction runs through (GoogLeNet: without its auxiliary heads)."""
    return getattr(model, "inference_model", model)


def macs_table(model: keras.Model) -> pd.DataFrame:
    """One row per layer of the inference path: ``layer``, ``type``, ``macs``, ``known``."""
    rows = [
        {"layer": layer.name, "type": type(layer).__name__, "macs": layer_macs(layer), "known": is_known(layer)}
        for layer in leaf_layers(inference_model(model))
    ]
    return pd.DataFrame(rows, columns=["layer", "type", "macs", "known"])


def total_macs(model: keras.Model) -> int:
    """MACs of one forward pass (inference) of one sample through the whole model."""
    return int(macs_table(model)["macs"].sum())


def training_only_macs(model: keras.Model) -> int:
    """MACs of the layers only training runs (auxiliary heads); 0 for most models."""
    if inference_model(model) is model:
        return 0
    every = sum(layer_macs(layer) for layer in leaf_layers(model))
    return every - total_macs(model)


def macs_text(model: keras.Model) -> str:
    """The per-layer table and the total, for ``model.txt``; names the layers not counted."""
    table = macs_table(model)
    counted = table[table["macs"] > 0]
    width = max([len(n) for n in counted["layer"]] + [5])
    lines = [
        'Multiply-accumulates (MACs, "FLOPs") of one forward pass, per sample:',
        f"{'layer':<{width}}  {'type':<22}  {'MACs':>15}",
    ]
    lines += [f"{r.layer:<{width}}  {r.type:<22}  {r.macs:>15,}" for r in counted.itertuples()]
    lines.append(f"{'total':<{width}}  {'':<22}  {int(table['macs'].sum()):>15,}")
    if extra := training_only_macs(model):
        lines.append(f"(not counted: {extra:,} MACs of the training-only auxiliary heads)")
    unknown = table[~table["known"]]
    if len(unknown):
        lines.append(
            "not counted, unknown to the MAC counter: "
            + ", ".join(f"{r.layer} ({r.type})" for r in unknown.itertuples())
        )
    return "\n".join(lines) + "\n"
