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
everything else            0 (activations fused or free, reshapes, dropout,
                           augmentation, padding)
=========================  ==================================================

Biases and activations are left out, as in the papers' tables.
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


def macs_table(model: keras.Model) -> pd.DataFrame:
    """One row per layer: ``layer``, ``type``, ``macs`` (nested models are flattened)."""
    rows = [{"layer": layer.name, "type": type(layer).__name__, "macs": layer_macs(layer)}
            for layer in leaf_layers(model)]
    return pd.DataFrame(rows, columns=["layer", "type", "macs"])


def total_macs(model: keras.Model) -> int:
    """MACs of one forward pass of one sample through the whole model."""
    return int(macs_table(model)["macs"].sum())


def macs_text(model: keras.Model) -> str:
    """The per-layer table and the total, for ``model.txt``."""
    table = macs_table(model)
    counted = table[table["macs"] > 0]
    width = max([len(n) for n in counted["layer"]] + [5])
    lines = ["Multiply-accumulates (MACs, \"FLOPs\") of one forward pass, per sample:",
             f"{'layer':<{width}}  {'type':<22}  {'MACs':>15}"]
    lines += [f"{r.layer:<{width}}  {r.type:<22}  {r.macs:>15,}" for r in counted.itertuples()]
    lines.append(f"{'total':<{width}}  {'':<22}  {int(table['macs'].sum()):>15,}")
    return "\n".join(lines) + "\n"
