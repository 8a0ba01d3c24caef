"""The values a string key may take, where more than one module needs the list.

The closed sets are ``StrEnum`` types that the structured-config schemas use as
field types (:mod:`kexp.config.schema`), so Hydra rejects any other value while
composing (preflight turns OmegaConf's message into kexp's one line). A member
is a ``str`` equal to its value, so consumers compare and pass it as the string
it stands for. The tuples below are the same sets for code that lists them.

trainer.verbose, trainer.jit_compile and regularization.augment.flip mix a word
with numbers or booleans (auto | 0 | 1 | 2, auto | true | false), which an Enum
cannot type: they stay ``Any`` in the schemas and are checked by
:mod:`kexp.config.rules`.
"""

from enum import StrEnum

# (each a StrEnum whose members, space-separated, are equal to their names)
#: ``model.activation``: Keras activations plus kexp's RReLU, Maxout and Step layers.
Activation = StrEnum("Activation", "relu leaky_relu prelu elu selu gelu swish tanh sigmoid rrelu maxout step")
#: ``trainer.precision``: Keras dtype policies, or auto (chosen by kexp.backends.precision).
Precision = StrEnum("Precision", "float32 mixed_float16 mixed_bfloat16 auto")
#: ``trainer.strategy``: one device, TensorFlow's MirroredStrategy, JAX's DataParallel.
Strategy = StrEnum("Strategy", "default mirrored data_parallel")
#: ``model.block_type`` of the ResNets.
BlockType = StrEnum("BlockType", "basic bottleneck")
#: ``model.stem`` (AlexNet, GoogLeNet, ResNet): the ImageNet stem, a small-image one, or by input size.
Stem = StrEnum("Stem", "auto imagenet small")
#: ``model.block``: post-activation (v1) or pre-activation (v2) units.
ResNetBlock = StrEnum("ResNetBlock", "v1 v2")
#: ``model.shortcut`` of the CIFAR ResNets: zero-padding (option A) or a projection (option B).
Shortcut = StrEnum("Shortcut", "pad projection")
#: ``model.inception``: GoogLeNet's naive module or the one with 1x1 reductions.
Inception = StrEnum("Inception", "naive reduction")
#: ``model.pool_padding``: Keras padding.
Padding = StrEnum("Padding", "valid same")
#: ``model.pooling`` of a backbone's head: global average or max.
Pooling = StrEnum("Pooling", "avg max")
#: ``schedule.anneal`` of one cycle: each half a cosine or a straight line.
Anneal = StrEnum("Anneal", "cos linear")
#: ``trainer.curves``: kexp's two panels, or also the slides' two figures.
Curves = StrEnum("Curves", "panels slides")
#: ``data.target_type``: class labels, numbers to regress on, or decided by the source.
TargetType = StrEnum("TargetType", "labels numbers auto")
#: ``data.color_mode`` of image files.
ColorMode = StrEnum("ColorMode", "grayscale rgb")
#: ``data.cache`` of image files: none, decoded in memory, or on disk.
Cache = StrEnum("Cache", "none memory disk")
#: ``data.on_bad_image``: stop with the file's name, or leave it out.
OnBadImage = StrEnum("OnBadImage", "error skip")
#: ``data.fill_missing`` of a CSV's numeric columns.
FillMissing = StrEnum("FillMissing", "none mean zero")

ACTIVATIONS = tuple(Activation)
PRECISIONS = tuple(Precision)
STRATEGIES = tuple(Strategy)
BLOCK_TYPES = tuple(BlockType)
#: ``task.name`` → what it needs of ``data.target_type``.
NEEDS_TARGETS = {"multiclass": "labels", "binary": "labels", "regression": "numbers"}
