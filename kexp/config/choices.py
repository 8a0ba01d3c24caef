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


ACTIVATIONS = tuple(Activation)
PRECISIONS = tuple(Precision)
STRATEGIES = tuple(Strategy)
BLOCK_TYPES = tuple(BlockType)
#: ``task.name`` → what it needs of ``data.target_type``.
NEEDS_TARGETS = {"multiclass": "labels", "binary": "labels", "regression": "numbers"}
