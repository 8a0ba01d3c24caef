"""One place that turns config into layers, so every builder means the same thing.

From the model config: ``activation``, ``kernel_initializer`` (and
``maxout_pieces``, ``rrelu_lower``/``rrelu_upper``) and ``output_activation``
(set from the ``task`` group: softmax, sigmoid or linear). From
``regularization``: ``l1``/``l2`` (kernel penalties on every conv/dense),
``batchnorm`` (BatchNormalization after each conv/dense, before its
activation), ``dropout`` (after each hidden dense layer; in a net without
one, before the classifier) and ``augment``
(preprocessing layers right after the input, active in training only).
``null`` for ``batchnorm``/``dropout`` means the architecture's own design:
``model.batchnorm`` / ``model.dropout`` in its YAML, else the builder's default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import keras

from kexp.config.errors import ConfigError
from kexp.config.regularization_fit import batchnorm_setting, check_regularization_fits
from kexp.models.augment import Augmentation
from kexp.models.layers import Maxout, RReLU, SparsityPenalty, SqueezeExcite, Step

if TYPE_CHECKING:
    from kexp.config.schema.model import ModelConfig
    from kexp.config.schema.regularization import RegularizationConfig

#: Suggested names for ``model.kernel_initializer``; any Keras initializer name works.
INITIALIZERS = (
    "glorot_uniform",
    "glorot_normal",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "orthogonal",
    "truncated_normal",
    "variance_scaling",
)
_FUSABLE = {"relu", "leaky_relu", "elu", "selu", "gelu", "swish", "tanh", "sigmoid"}
#: keras.activations.leaky_relu's slope (a fused leaky_relu has this one)
KERAS_LEAKY_SLOPE = 0.2
#: The course texts' initialisations (001), by their names: weights from a standard normal divided
#: by √n ("Xavier") or times √2/√n ("He"), n = the inputs of a unit (fan-in). Keras's glorot_* use
#: √(2/(fan_in+fan_out)) and its he_normal a truncated normal: these are the texts' own.
TEXT_INITIALIZERS = {
    "xavier": {"scale": 1.0, "mode": "fan_in", "distribution": "untruncated_normal"},
    "he": {"scale": 2.0, "mode": "fan_in", "distribution": "untruncated_normal"},
}


def kernel_initializer(name: str):
    """A Keras initializer for ``model.kernel_initializer``: any Keras name, or xavier / he as the
    course texts define them (:data:`TEXT_INITIALIZERS`); a ConfigError for anything else."""
    if name in TEXT_INITIALIZERS:
        return keras.initializers.VarianceScaling(**TEXT_INITIALIZERS[name])
    try:
        keras.initializers.get(name)
    except ValueError:
        raise ConfigError.bad_value(
            "model.kernel_initializer",
            name,
            "unknown; use xavier, he (the course's) or a Keras initializer name such as " + ", ".join(INITIALIZERS),
        ) from None
    return name


def apply(layers: Iterable[keras.Layer], x):
    """Call ``layers`` in order on ``x`` (functional style)."""
    for layer in layers:
        x = layer(x)
    return x


@dataclass(frozen=True)
class LayerFactory:
    """Conv/dense/activation layers with the run's activation and regularization."""

    activation: str = "relu"
    kernel_initializer: Any = "glorot_uniform"  # a Keras name or initializer
    l1: float = 0.0
    l2: float = 0.0
    batchnorm: bool = False
    dropout: float = 0.0
    maxout_pieces: int = 2
    leaky_relu_slope: float = KERAS_LEAKY_SLOPE
    se_ratio: float = 0.0
    activity_l1: float = 0.0
    sparsity_target: float | None = None
    sparsity_weight: float = 0.0
    rrelu_lower: float = 1 / 8
    rrelu_upper: float = 1 / 3
    output_activation: str = "softmax"
    augment: Augmentation = Augmentation()  # noqa: RUF009 — frozen, so one shared default is safe

    @classmethod
    def from_settings(
        cls,
        settings: ModelConfig,
        regularization: RegularizationConfig,
        *,
        maxout_allowed: bool = True,
    ) -> LayerFactory:
        """Resolve the model config and ``regularization`` into one factory (refusing regularization
        the family has no place for: :mod:`kexp.config.regularization_fit`)."""
        check_regularization_fits(settings, regularization)
        activation = settings.activation  # (one of config.choices.ACTIVATIONS: checked in validation)
        if activation == "maxout" and not maxout_allowed:
            raise ConfigError.bad_value(
                "model.activation",
                activation,
                f"not available for {settings.name}: its residual additions need the channel count "
                "kept, and maxout divides it; use it with cnn, mlp, bn_cnn, alexnet, vgg or googlenet",
            )
        initializer = kernel_initializer(settings.kernel_initializer)
        _, batchnorm = batchnorm_setting(settings, regularization)
        if batchnorm is None:  # (the family's design)
            batchnorm = getattr(settings, "BATCHNORM", "optional") == "always"
        dropout, _ = _first_set((regularization.dropout, ""), (settings.dropout, ""), (0.0, ""))
        return cls(
            activation=activation,
            kernel_initializer=initializer,
            l1=regularization.l1,
            l2=regularization.l2,
            batchnorm=batchnorm,
            dropout=dropout,
            maxout_pieces=settings.maxout_pieces,
            leaky_relu_slope=float(getattr(settings, "leaky_relu_slope", KERAS_LEAKY_SLOPE)),
            se_ratio=float(getattr(settings, "se_ratio", 0.0) or 0.0),
            activity_l1=float(regularization.activity_l1),
            sparsity_target=regularization.sparsity_target,
            sparsity_weight=float(regularization.sparsity_weight),
            rrelu_lower=settings.rrelu_lower,
            rrelu_upper=settings.rrelu_upper,
            output_activation=settings.output_activation,
            augment=Augmentation.from_settings(regularization.augment),
        )

    # -- single layers -------------------------------------------------------------
    def regularizer(self) -> keras.regularizers.Regularizer | None:
        """L1/L2 penalty on kernels (``L1``, ``L2`` or ``L1L2``), or None when both are 0."""
        if self.l1 > 0 and self.l2 > 0:
            return keras.regularizers.L1L2(l1=self.l1, l2=self.l2)
        if self.l1 > 0:
            return keras.regularizers.L1(self.l1)
        return keras.regularizers.L2(self.l2) if self.l2 > 0 else None

    def input_layers(self, input_shape: tuple[int, ...]) -> list:
        """``keras.Input`` followed by the augmentation layers (for Sequential builders)."""
        return [keras.Input(shape=input_shape, name="image"), *self.augment.layers(input_shape)]

    def input(self, input_shape: tuple[int, ...]):
        """``(inputs, x)`` for functional builders: the Input tensor and the augmented image."""
        inputs = keras.Input(shape=input_shape, name="image")
        return inputs, apply(self.augment.layers(input_shape), inputs)

    def activation_layer(self, name: str, spatial: bool = False) -> keras.Layer:
        """The configured activation as its own layer (PReLU: one slope per channel)."""
        if self.activation == "prelu":
            return keras.layers.PReLU(shared_axes=[1, 2] if spatial else None, name=name)
        if self.activation == "rrelu":
            return RReLU(self.rrelu_lower, self.rrelu_upper, name=name)
        if self.activation == "maxout":
            return Maxout(self.maxout_pieces, name=name)
        if self.activation == "step":
            return Step(name=name)
        if self.activation == "leaky_relu":
            return keras.layers.LeakyReLU(negative_slope=self.leaky_relu_slope, name=name)
        return keras.layers.Activation(self.activation, name=name)

    def sparsity(self, name: str) -> list[keras.Layer]:
        """Sparse regularization of a hidden layer's activations (``regularization.activity_l1``,
        ``sparsity_target``/``sparsity_weight``): Keras's ActivityRegularization, kexp's KL penalty."""
        layers: list[keras.Layer] = []
        if self.activity_l1 > 0:
            layers.append(keras.layers.ActivityRegularization(l1=self.activity_l1, name=f"{name}_activity_l1"))
        if self.sparsity_target is not None and self.sparsity_weight > 0:
            layers.append(SparsityPenalty(self.sparsity_target, self.sparsity_weight, name=f"{name}_sparsity"))
        return layers

    def squeeze_excite(self, name: str) -> list[keras.Layer]:
        """``[SqueezeExcite]`` when ``model.se_ratio`` > 0 (after a conv block), else nothing."""
        return [SqueezeExcite(self.se_ratio, name=f"{name}_se")] if self.se_ratio > 0 else []

    def pooling(self, kind: str, size, name: str, strides=None, padding: str = "valid") -> keras.Layer:
        """``model.pooling``: MaxPooling2D (max) or AveragePooling2D (avg)."""
        layer = keras.layers.AveragePooling2D if kind == "avg" else keras.layers.MaxPooling2D
        return layer(size, strides=strides, padding=padding, name=name)

    def _width(self, units: int, activated: bool) -> int:
        return units * self.maxout_pieces if activated and self.activation == "maxout" else units

    def _fused(self, activated: bool, batchnorm: bool) -> str | None:
        fusable = self.activation in _FUSABLE and not (
            self.activation == "leaky_relu" and self.leaky_relu_slope != KERAS_LEAKY_SLOPE
        )
        return self.activation if activated and not batchnorm and fusable else None

    # -- blocks --------------------------------------------------------------------
    def conv(
        self,
        filters: int,
        kernel_size: int | tuple,
        name: str,
        strides: int = 1,
        padding: str = "same",
        activated: bool = True,
        batchnorm: bool | None = None,
    ) -> list[keras.Layer]:
        """Conv2D [→ BatchNorm] [→ activation]; the activation is fused when it can be."""
        batchnorm = self.batchnorm if batchnorm is None else batchnorm
        fused = self._fused(activated, batchnorm)
        layers: list[keras.Layer] = [
            keras.layers.Conv2D(
                self._width(filters, activated),
                kernel_size,
                strides=strides,
                padding=padding,
                use_bias=not batchnorm,
                activation=fused,
                name=name,
                kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.regularizer(),
            )
        ]
        if batchnorm:
            layers.append(keras.layers.BatchNormalization(name=f"{name}_bn"))
        if activated and fused is None:
            layers.append(self.activation_layer(f"{name}_{self.activation}", spatial=True))
        return layers

    def dense(self, units: int, name: str, dropout: bool = True) -> list[keras.Layer]:
        """A hidden Dense layer [→ BatchNorm] → activation [→ Dropout]."""
        fused = self._fused(True, self.batchnorm)
        layers: list[keras.Layer] = [
            keras.layers.Dense(
                self._width(units, True),
                use_bias=not self.batchnorm,
                activation=fused,
                name=name,
                kernel_initializer=self.kernel_initializer,
                kernel_regularizer=self.regularizer(),
            )
        ]
        if self.batchnorm:
            layers.append(keras.layers.BatchNormalization(name=f"{name}_bn"))
        if fused is None:
            layers.append(self.activation_layer(f"{name}_{self.activation}"))
        layers += self.sparsity(name)
        if dropout and self.dropout > 0:
            layers.append(keras.layers.Dropout(self.dropout, name=f"{name}_dropout"))
        return layers

    def flat_head(self, dense_units: Iterable[int], output_units: int) -> list[keras.Layer]:
        """Flatten → a hidden dense layer ``fc{j}`` per entry of ``dense_units`` → the classifier
        (the head of the Sequential nets); without hidden layers, :meth:`head_dropout` before it."""
        layers: list[keras.Layer] = [keras.layers.Flatten(name="flatten")]
        for j, units in enumerate(dense_units, start=1):
            layers += self.dense(units, f"fc{j}")
        if not dense_units:
            layers += self.head_dropout()
        return [*layers, self.classifier(output_units)]

    def head_dropout(self) -> list[keras.Layer]:
        """``[Dropout]`` of the features the classifier reads, in a net without hidden dense layers
        (timm's ``drop_rate``): where ``dropout`` acts there; nothing when it is 0."""
        return [keras.layers.Dropout(self.dropout, name="head_dropout")] if self.dropout > 0 else []

    def classifier(self, output_units: int, name: str = "predictions") -> keras.Layer:
        """The output layer: Dense(output_units, ``output_activation``), always float32.

        Under a mixed-precision policy the rest of the net computes in 16 bits;
        the output (and so the loss) stays float32, as Keras recommends.
        """
        return keras.layers.Dense(
            output_units,
            activation=self.output_activation,
            name=name,
            kernel_initializer=self.kernel_initializer,
            kernel_regularizer=self.regularizer(),
            dtype="float32",
        )


def _first_set(*candidates: tuple[Any, str]) -> tuple[Any, str]:
    """The first (value, key) whose value is not None."""
    for value, key in candidates:
        if value is not None:
            return value, key
    return candidates[-1]


def small_input(input_shape: tuple[int, ...], stem: str, threshold: int = 64) -> bool:
    """Whether to use the small-image stem: ``stem`` is auto, imagenet or small."""
    if stem not in ("auto", "imagenet", "small"):
        raise ConfigError.bad_value("model.stem", stem, "must be auto, imagenet or small")
    if stem == "auto":
        return min(input_shape[:2]) < threshold
    return stem == "small"
