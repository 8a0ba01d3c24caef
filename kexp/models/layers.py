"""Layers Keras lacks, written with ``keras.ops`` only (every backend)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kexp")
class RReLU(keras.layers.Layer):
    """Randomized leaky ReLU (Xu et al. 2015).

    Training: ``x`` if ``x >= 0`` else ``a * x`` with ``a ~ U(lower, upper)``
    drawn per element. Inference: the mean slope ``(lower + upper) / 2``.
    """

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 <= lower <= upper:
            raise ValueError(f"RReLU needs 0 <= lower <= upper, got {lower}, {upper}")
        self.lower, self.upper, self.seed = float(lower), float(upper), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training: bool = False):
        if training:
            slope = keras.random.uniform(
                ops.shape(inputs), self.lower, self.upper, dtype=inputs.dtype, seed=self.seed_generator
            )
        else:
            slope = (self.lower + self.upper) / 2
        return ops.where(inputs >= 0, inputs, inputs * slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "lower": self.lower, "upper": self.upper, "seed": self.seed}


@keras.saving.register_keras_serializable(package="kexp")
class Maxout(keras.layers.Layer):
    """Maxout (Goodfellow et al. 2013): the max over ``pieces`` linear pieces.

    The last axis holds ``units * pieces`` values (the preceding conv/dense
    layer computes the pieces); the output has ``units`` channels, channel
    ``i`` being the max of inputs ``i*pieces .. i*pieces + pieces - 1``.
    """

    def __init__(self, pieces: int = 2, **kwargs) -> None:
        super().__init__(**kwargs)
        if pieces < 1:
            raise ValueError(f"Maxout needs pieces >= 1, got {pieces}")
        self.pieces = int(pieces)

    def call(self, inputs):
        channels = inputs.shape[-1]
        if channels % self.pieces:
            raise ValueError(f"Maxout: {channels} channels do not split into {self.pieces} pieces")
        grouped = ops.reshape(inputs, (*ops.shape(inputs)[:-1], channels // self.pieces, self.pieces))
        return ops.max(grouped, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // self.pieces)

    def get_config(self) -> dict:
        return {**super().get_config(), "pieces": self.pieces}


@keras.saving.register_keras_serializable(package="kexp")
class ChannelPad(keras.layers.Layer):
    """Option-A shortcut of CIFAR ResNets: subsample by ``stride``, zero-pad channels."""

    def __init__(self, channels: int, stride: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.channels, self.stride = int(channels), int(stride)

    def call(self, inputs):
        x = inputs[:, :: self.stride, :: self.stride, :] if self.stride > 1 else inputs
        extra = self.channels - x.shape[-1]
        if extra <= 0:
            return x
        before = extra // 2
        return ops.pad(x, [[0, 0], [0, 0], [0, 0], [before, extra - before]])

    def compute_output_shape(self, input_shape):
        height, width = (None if d is None else -(-d // self.stride) for d in input_shape[1:3])
        return (input_shape[0], height, width, max(self.channels, input_shape[-1]))

    def get_config(self) -> dict:
        return {**super().get_config(), "channels": self.channels, "stride": self.stride}


@keras.saving.register_keras_serializable(package="kexp")
class Step(keras.layers.Layer):
    """The step (Heaviside) function: 1 where ``x >= 0``, else 0 (the first hidden activation of
    the course texts, 001). Its derivative is 0 wherever it exists, so back-propagation passes
    no signal through it: the layers below a step never learn (shown by ``experiment=step_vs_sigmoid``).
    """

    def call(self, inputs):
        heaviside = ops.cast(ops.greater_equal(inputs, 0), inputs.dtype)
        # value: the step; gradient: exactly 0 (as in the math), not "no gradient"
        return ops.stop_gradient(heaviside) + 0.0 * inputs

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="kexp")
class SqueezeExcite(keras.layers.Layer):
    """Squeeze-and-excitation (Hu et al. 2018) as one layer, for Sequential nets: channel weights
    from the global average (Dense C→C·ratio ReLU → Dense →C sigmoid) scale the feature map."""

    def __init__(self, ratio: float = 1 / 16, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 < ratio <= 1:
            raise ValueError(f"SqueezeExcite needs 0 < ratio <= 1, got {ratio}")
        self.ratio = float(ratio)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.reduce = keras.layers.Dense(max(1, int(channels * self.ratio)), activation="relu", name="reduce")
        self.expand = keras.layers.Dense(channels, activation="sigmoid", name="expand")
        self.reduce.build((input_shape[0], channels))
        self.expand.build((input_shape[0], self.reduce.units))

    def call(self, inputs):
        squeezed = ops.mean(inputs, axis=(1, 2))
        weights = self.expand(self.reduce(squeezed))
        return inputs * ops.expand_dims(ops.expand_dims(weights, 1), 1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "ratio": self.ratio}


@keras.saving.register_keras_serializable(package="kexp")
class SparsityPenalty(keras.layers.Layer):
    """Adds ``weight · Σ_j KL(target ‖ ρ̂_j)`` to the model's losses, ρ̂_j = the batch mean of unit
    j's activation (clipped into (0, 1)); returns its input unchanged. Sparse autoencoders' penalty
    (Ng's notes), the course's "sparse regularization" with its two settings."""

    def __init__(self, target: float = 0.05, weight: float = 0.1, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 < target < 1:
            raise ValueError(f"SparsityPenalty needs 0 < target < 1, got {target}")
        self.target, self.weight = float(target), float(weight)

    def call(self, inputs):
        rate = ops.clip(ops.mean(ops.cast(inputs, "float32"), axis=0), 1e-6, 1 - 1e-6)
        target = self.target
        divergence = target * ops.log(target / rate) + (1 - target) * ops.log((1 - target) / (1 - rate))
        self.add_loss(self.weight * ops.sum(divergence))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "target": self.target, "weight": self.weight}
