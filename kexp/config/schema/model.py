"""Types of the ``model`` group: one schema per model family (values: ``conf/model/<variant>.yaml``).

Keys every family has (:class:`ModelConfig`) plus each family's own. Keys a
variant may leave out carry their default here; the rest come from the YAML.
A model YAML names its family's schema first in its defaults list
(``_schema_<family>``); :func:`typed_model` applies the same schema to a
config that does not (a user's own YAML from ``--config-dir``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional

from omegaconf import MISSING, DictConfig, OmegaConf

from kexp.config.choices import (
    Activation,
    BlockType,
    Inception,
    Padding,
    Pooling,
    ResNetBlock,
    Shortcut,
    Stem,
)


@dataclass
class ModelConfig:
    """Keys of every family. ``builder`` names the family (null: the same as ``name``)."""

    name: str = MISSING
    builder: Optional[str] = None
    activation: Activation = MISSING
    kernel_initializer: str = MISSING
    # dense dropout and BatchNormalization as the architecture designs them (null: off,
    # unless the family always has them); regularization.dropout / .batchnorm override
    dropout: Optional[float] = None
    batchnorm: Optional[bool] = None
    # activation=maxout: pieces per unit; activation=rrelu: the range of its random slope;
    # activation=leaky_relu: the slope for x < 0 (Keras's 0.2)
    maxout_pieces: int = 2
    leaky_relu_slope: float = 0.2
    rrelu_lower: float = 0.125
    rrelu_upper: float = 1 / 3
    # not a setting: kexp.models.build_model fills in the task's (softmax, sigmoid or linear)
    output_activation: str = "softmax"

    #: BatchNormalization in this family (kexp.config.regularization_fit checks it): "optional" (off
    #: unless regularization.batchnorm or model.batchnorm turns it on), "always" (in every unit by
    #: design: false is refused) or "never" (the net normalises with :attr:`NORMALISATION`: true is refused)
    BATCHNORM: ClassVar[str] = "optional"
    NORMALISATION: ClassVar[str] = ""

    def has_hidden_dense_layers(self) -> bool:
        """Whether the net has hidden dense layers: where sparse regularization acts, and dropout
        (a net without them drops out the features its classifier reads)."""
        return True


@dataclass
class MlpConfig(ModelConfig):
    """``mlp``: dense layers of ``hidden_units``."""

    hidden_units: list[int] = MISSING

    def has_hidden_dense_layers(self) -> bool:
        return bool(self.hidden_units)


@dataclass
class CnnConfig(ModelConfig):
    """``cnn``: the slides' Conv-Pool-Dense family (cnn, bn_cnn, keras_mnist_cnn, deepobs_*)."""

    filters: list[int] = MISSING
    kernel_size: Any = MISSING  # an integer, or one per conv
    padding: Any = "valid"  # valid | same, or one per conv
    pool_size: int = 2
    pool_every: int = 1  # a max-pool after every pool_every convs
    pool_strides: Optional[int] = None  # null: pool_size
    pool_padding: Padding = Padding.valid
    conv_dropout: float = 0.0  # Dropout after each pool
    dense_units: list[int] = MISSING
    strides: Any = 1  # of the convs: an integer, or one per conv
    pooling: Pooling = Pooling.max  # max | avg pooling
    se_ratio: float = 0.0  # squeeze-and-excitation after each conv (0 = off; Hu et al.: 1/16)

    def has_hidden_dense_layers(self) -> bool:
        return bool(self.dense_units)


@dataclass
class AlexNetConfig(ModelConfig):
    """``alexnet``: single-tower AlexNet."""

    filters: list[int] = MISSING
    kernel_sizes: list[int] = MISSING
    pool_after: list[int] = MISSING
    dense_units: list[int] = MISSING
    stem: Stem = Stem.auto
    pooling: Pooling = Pooling.max  # max | avg pooling

    def has_hidden_dense_layers(self) -> bool:
        return bool(self.dense_units)


@dataclass
class ZfNetConfig(ModelConfig):
    """``zfnet``: Zeiler & Fergus's net (five convs, three pools, two dense layers)."""

    filters: list[int] = MISSING
    dense_units: list[int] = MISSING
    stem: Stem = Stem.auto
    pooling: Pooling = Pooling.max

    def has_hidden_dense_layers(self) -> bool:
        return bool(self.dense_units)


@dataclass
class VggConfig(ModelConfig):
    """``vgg``: stages of 3x3 convs, each followed by a max-pool."""

    stages: list[list[int]] = MISSING
    dense_units: list[int] = MISSING
    strides: int = 1  # of every conv (the paper: 1)
    pooling: Pooling = Pooling.max  # max | avg pooling
    se_ratio: float = 0.0  # squeeze-and-excitation after each conv (0 = off; Hu et al.: 1/16)

    def has_hidden_dense_layers(self) -> bool:
        return bool(self.dense_units)


@dataclass
class GoogLeNetConfig(ModelConfig):
    """``googlenet``: Inception v1 with training-only auxiliary heads."""

    inception: Inception = Inception.reduction
    stages: list[Any] = MISSING
    aux_after: list[str] = field(default_factory=lambda: ["4a", "4d"])
    aux_weight: float = 0.3
    stem: Stem = Stem.auto

    def has_hidden_dense_layers(self) -> bool:
        """Only the training-only auxiliary heads have one (1024 units); the main path pools into its classifier."""
        return bool(self.aux_after)


@dataclass
class ResNetConfig(ModelConfig):
    """``resnet``: ImageNet-style ResNets (basic or bottleneck units)."""

    block_type: BlockType = BlockType.basic
    stackwise_filters: list[int] = MISSING
    stackwise_blocks: list[int] = MISSING
    stem: Stem = Stem.auto
    stem_filters: int = 64
    block: ResNetBlock = ResNetBlock.v1  # v1 (post-activation) | v2 (pre-activation)
    se_ratio: float = 0.0  # squeeze-and-excitation (0 = off)

    BATCHNORM: ClassVar[str] = "always"

    def has_hidden_dense_layers(self) -> bool:
        return False


@dataclass
class CifarResNetConfig(ResNetConfig):
    """``cifar_resnet``: the 6n+2-layer CIFAR ResNets and their plain twins."""

    residual: bool = True  # false: the plain twin, no skip connections
    shortcut: Shortcut = Shortcut.pad  # pad (option A, no parameters) | projection (option B)


@dataclass
class BackboneConfig(ModelConfig):
    """``backbone``: a keras.applications (``arch``) or KerasHub (``preset``) backbone with a new head."""

    arch: str = MISSING
    preset: Optional[str] = None
    weights: Optional[str] = "imagenet"  # imagenet | null | a weights file
    image_size: Any = None  # null | int | [height, width]: resized inside the model
    pooling: Pooling = Pooling.avg

    BATCHNORM: ClassVar[str] = "never"
    NORMALISATION: ClassVar[str] = "the pretrained backbone's own normalisation layers"

    def has_hidden_dense_layers(self) -> bool:
        return False


@dataclass
class VitConfig(ModelConfig):
    """``vit``: Vision Transformer (patch size, width, depth, heads, MLP width: the paper's Table 1)."""

    patch_size: int = MISSING
    dim: int = MISSING
    depth: int = MISSING
    heads: int = MISSING
    mlp_dim: int = MISSING

    BATCHNORM: ClassVar[str] = "never"
    NORMALISATION: ClassVar[str] = "LayerNormalization in every encoder block"

    def has_hidden_dense_layers(self) -> bool:
        """The encoder blocks' MLPs are Keras Dense layers of their own: no hidden dense layer of kexp's."""
        return False


FAMILIES: dict[str, type[ModelConfig]] = {
    "mlp": MlpConfig,
    "cnn": CnnConfig,
    "alexnet": AlexNetConfig,
    "zfnet": ZfNetConfig,
    "vgg": VggConfig,
    "googlenet": GoogLeNetConfig,
    "resnet": ResNetConfig,
    "cifar_resnet": CifarResNetConfig,
    "backbone": BackboneConfig,
    "vit": VitConfig,
}


def family(cfg: DictConfig) -> str:
    """The family a model config builds (``builder``, else ``name``)."""
    return str(cfg.get("builder") or cfg.get("name"))


def typed_model(cfg: DictConfig) -> DictConfig:
    """``cfg`` (the ``model`` group) merged onto its family's schema: typed, defaults filled.

    A family kexp does not know (a user's own builder) is returned as it is.
    Raises OmegaConf's ValidationError for a value of the wrong type.
    """
    schema = FAMILIES.get(family(cfg))
    if schema is None or OmegaConf.get_type(cfg) is schema:
        return cfg
    return OmegaConf.merge(OmegaConf.structured(schema), cfg)  # type: ignore[return-value]
