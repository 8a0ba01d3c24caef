"""The values a string key may take, where more than one module needs the list.

The closed sets are ``StrEnum`` types that the structured-config schemas use as
field types (:mod:`kexp.config.schema`), so Hydra rejects any other value while
composing (preflight turns OmegaConf's message into kexp's one line). A member
is a ``str`` equal to its value, so consumers compare and pass it as the string
it stands for. The tuples below are the same sets for code that lists them.
"""

from enum import StrEnum


class Activation(StrEnum):
    """``model.activation``: Keras activations plus kexp's RReLU and Maxout layers."""

    relu = "relu"
    leaky_relu = "leaky_relu"
    prelu = "prelu"
    elu = "elu"
    selu = "selu"
    gelu = "gelu"
    swish = "swish"
    tanh = "tanh"
    sigmoid = "sigmoid"
    rrelu = "rrelu"
    maxout = "maxout"


class Precision(StrEnum):
    """``trainer.precision``: Keras dtype policies."""

    float32 = "float32"
    mixed_float16 = "mixed_float16"
    mixed_bfloat16 = "mixed_bfloat16"


class Strategy(StrEnum):
    """``trainer.strategy``: one device, TensorFlow's MirroredStrategy, JAX's DataParallel."""

    default = "default"
    mirrored = "mirrored"
    data_parallel = "data_parallel"


class BlockType(StrEnum):
    """``model.block_type`` of the ResNets."""

    basic = "basic"
    bottleneck = "bottleneck"


class Stem(StrEnum):
    """``model.stem`` (AlexNet, GoogLeNet, ResNet): the paper's ImageNet stem, a small-image one, or by size."""

    auto = "auto"
    imagenet = "imagenet"
    small = "small"


class ResNetBlock(StrEnum):
    """``model.block``: post-activation (v1) or pre-activation (v2) units."""

    v1 = "v1"
    v2 = "v2"


class Shortcut(StrEnum):
    """``model.shortcut`` of the CIFAR ResNets: zero-padding (option A) or a projection (option B)."""

    pad = "pad"
    projection = "projection"


class Inception(StrEnum):
    """``model.inception``: GoogLeNet's naive module or the one with 1x1 reductions."""

    naive = "naive"
    reduction = "reduction"


class Padding(StrEnum):
    """``model.pool_padding``: Keras padding."""

    valid = "valid"
    same = "same"


class Pooling(StrEnum):
    """``model.pooling`` of a backbone's head: global average or max."""

    avg = "avg"
    max = "max"


class Anneal(StrEnum):
    """``schedule.anneal`` of one cycle: each half a cosine or a straight line."""

    cos = "cos"
    linear = "linear"


class TargetType(StrEnum):
    """``data.target_type``: class labels, numbers to regress on, or decided by the source."""

    labels = "labels"
    numbers = "numbers"
    auto = "auto"


class ColorMode(StrEnum):
    """``data.color_mode`` of image files."""

    grayscale = "grayscale"
    rgb = "rgb"


class Cache(StrEnum):
    """``data.cache`` of image files: none, decoded in memory, or on disk."""

    none = "none"
    memory = "memory"
    disk = "disk"


class OnBadImage(StrEnum):
    """``data.on_bad_image``: stop with the file's name, or leave it out."""

    error = "error"
    skip = "skip"


class FillMissing(StrEnum):
    """``data.fill_missing`` of a CSV's numeric columns."""

    none = "none"
    mean = "mean"
    zero = "zero"


# (trainer.verbose, trainer.jit_compile and regularization.augment.flip mix a word with
# numbers or booleans — auto | 0 | 1 | 2, auto | true | false — which an Enum cannot type:
# they stay Any in the schemas and are checked by kexp.config.rules.)

ACTIVATIONS = tuple(Activation)
PRECISIONS = tuple(Precision)
STRATEGIES = tuple(Strategy)
BLOCK_TYPES = tuple(BlockType)
#: ``task.name`` → what it needs of ``data.target_type``.
NEEDS_TARGETS = {"multiclass": "labels", "binary": "labels", "regression": "numbers"}
