"""Layer helpers shared by the builders, honouring the ``regularization`` group.

``dropout`` — rate after each hidden dense layer (0 = off);
``l2`` — kernel regularizer factor on conv/dense layers (0 = off);
``batchnorm`` — BatchNormalization after each conv/dense, before its activation.
"""

from __future__ import annotations

import keras
from omegaconf import DictConfig


def kernel_regularizer(regularization: DictConfig) -> keras.regularizers.Regularizer | None:
    """L2 penalty on kernels, or None when ``l2`` is 0."""
    l2 = float(regularization.get("l2", 0.0))
    return keras.regularizers.L2(l2) if l2 > 0 else None


def conv_layers(filters: int, kernel_size: int, name: str, activation: str,
                regularization: DictConfig, padding: str = "valid") -> list[keras.Layer]:
    """Conv2D with its activation, or Conv2D → BatchNorm → activation."""
    batchnorm = bool(regularization.get("batchnorm", False))
    conv = keras.layers.Conv2D(
        filters, kernel_size, padding=padding, name=name, use_bias=not batchnorm,
        activation=None if batchnorm else activation,
        kernel_regularizer=kernel_regularizer(regularization))
    if not batchnorm:
        return [conv]
    return [conv, keras.layers.BatchNormalization(name=f"{name}_bn"),
            keras.layers.Activation(activation, name=f"{name}_{activation}")]


def dense_layers(units: int, name: str, activation: str,
                 regularization: DictConfig) -> list[keras.Layer]:
    """A hidden Dense layer with its activation, optional BatchNorm and Dropout."""
    batchnorm = bool(regularization.get("batchnorm", False))
    layers: list[keras.Layer] = [keras.layers.Dense(
        units, name=name, use_bias=not batchnorm, activation=None if batchnorm else activation,
        kernel_regularizer=kernel_regularizer(regularization))]
    if batchnorm:
        layers += [keras.layers.BatchNormalization(name=f"{name}_bn"),
                   keras.layers.Activation(activation, name=f"{name}_{activation}")]
    rate = float(regularization.get("dropout", 0.0))
    if rate > 0:
        layers.append(keras.layers.Dropout(rate, name=f"{name}_dropout"))
    return layers


def classifier(num_classes: int, regularization: DictConfig) -> keras.Layer:
    """The output layer: Dense(num_classes, softmax) named ``predictions``."""
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions",
                              kernel_regularizer=kernel_regularizer(regularization))
