"""Vision Transformer (Dosovitskiy et al. 2021) from Keras layers: patches as tokens.

Image → Conv2D(dim, patch, stride patch) → one token per patch, a learned class token in front,
learned position embeddings added → ``depth`` pre-norm encoder blocks (LayerNorm → multi-head
self-attention → residual; LayerNorm → MLP ``mlp_dim`` with ``model.activation`` (GELU) →
residual) → LayerNorm → the class token → the classifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras
from keras import ops

from kexp.config.errors import ConfigError
from kexp.models import MODELS
from kexp.models.blocks import LayerFactory

if TYPE_CHECKING:
    from kexp.config.schema.model import VitConfig
    from kexp.config.schema.regularization import RegularizationConfig

#: LayerNorm's epsilon in the paper's code (big_vision / the original JAX ViT)
EPSILON = 1e-6


@keras.saving.register_keras_serializable(package="kexp")
class ClassToken(keras.layers.Layer):
    """Prepends one learned token (``dim`` values) to every sequence of the batch."""

    def build(self, input_shape):
        self.token = self.add_weight(shape=(1, 1, int(input_shape[-1])), initializer="zeros", name="token")

    def call(self, inputs):
        token = ops.broadcast_to(ops.cast(self.token, inputs.dtype), (ops.shape(inputs)[0], 1, inputs.shape[-1]))
        return ops.concatenate([token, inputs], axis=1)

    def compute_output_shape(self, input_shape):
        length = None if input_shape[1] is None else input_shape[1] + 1
        return (input_shape[0], length, input_shape[2])


@keras.saving.register_keras_serializable(package="kexp")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned embedding to each position of a fixed-length sequence."""

    def build(self, input_shape):
        self.embedding = self.add_weight(
            shape=(1, int(input_shape[1]), int(input_shape[2])),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="embedding",
        )

    def call(self, inputs):
        return inputs + ops.cast(self.embedding, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="kexp")
class FirstToken(keras.layers.Layer):
    """The first token of each sequence (the class token's final state)."""

    def call(self, inputs):
        return inputs[:, 0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def encoder_block(x, settings: VitConfig, make: LayerFactory, dropout: float, name: str):
    """Pre-norm Transformer encoder block: x + MHSA(LN(x)), then x + MLP(LN(x))."""
    dim = int(settings.dim)
    y = keras.layers.LayerNormalization(epsilon=EPSILON, name=f"{name}_ln1")(x)
    y = keras.layers.MultiHeadAttention(
        num_heads=int(settings.heads),
        key_dim=dim // int(settings.heads),
        dropout=dropout,
        kernel_initializer=make.kernel_initializer,
        kernel_regularizer=make.regularizer(),
        name=f"{name}_attention",
    )(y, y)
    x = keras.layers.Add(name=f"{name}_add1")([x, y])
    y = keras.layers.LayerNormalization(epsilon=EPSILON, name=f"{name}_ln2")(x)
    for i, units in enumerate((int(settings.mlp_dim), dim), start=1):
        y = keras.layers.Dense(
            units,
            kernel_initializer=make.kernel_initializer,
            kernel_regularizer=make.regularizer(),
            name=f"{name}_mlp{i}",
        )(y)
        if i == 1:
            y = make.activation_layer(f"{name}_mlp_{make.activation}")(y)
        if dropout > 0:
            y = keras.layers.Dropout(dropout, name=f"{name}_mlp{i}_dropout")(y)
    return keras.layers.Add(name=f"{name}_add2")([x, y])


@MODELS.register("vit")
def build_vit(
    settings: VitConfig, input_shape: tuple[int, ...], output_units: int, regularization: RegularizationConfig
) -> keras.Model:
    """``patch_size``, ``dim``, ``depth``, ``heads``, ``mlp_dim`` as in the paper's Table 1 (ViT-Ti:
    16, 192, 12, 3, 768 → 5,717,416 parameters at 224x224x3 / 1000 classes)."""
    height, width = input_shape[:2]
    patch = int(settings.patch_size)
    if len(input_shape) != 3 or height % patch or width % patch:
        raise ConfigError.bad_value(
            "model.patch_size",
            patch,
            f"must divide the image size ({'x'.join(map(str, input_shape))}); e.g. 4 for 28x28 or 32x32",
        )
    if int(settings.dim) % int(settings.heads):
        raise ConfigError.bad_value("model.heads", settings.heads, f"must divide model.dim={settings.dim}")
    make = LayerFactory.from_settings(settings, regularization)
    dropout = float(make.dropout)
    inputs, x = make.input(input_shape)
    x = keras.layers.Conv2D(int(settings.dim), patch, strides=patch, name="patch_embedding")(x)
    x = keras.layers.Reshape(((height // patch) * (width // patch), int(settings.dim)), name="tokens")(x)
    x = ClassToken(name="class_token")(x)
    x = PositionEmbedding(name="position_embedding")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for block in range(1, int(settings.depth) + 1):
        x = encoder_block(x, settings, make, dropout, f"block{block}")
    x = keras.layers.LayerNormalization(epsilon=EPSILON, name="final_ln")(x)
    x = FirstToken(name="class_output")(x)
    outputs = make.classifier(output_units)(x)
    return keras.Model(inputs, outputs, name=str(settings.name))
