"""The values a string key may take, where more than one module needs the list.

Checked once, in :mod:`kexp.config.validation`, before any data is loaded; the
modules that act on a value import the list from here rather than check again.
"""

#: ``model.activation``: Keras activations plus kexp's RReLU and Maxout layers.
ACTIVATIONS = ("relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "swish", "tanh", "sigmoid", "rrelu", "maxout")
#: ``trainer.precision``: Keras dtype policies.
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
#: ``task.name`` → what it needs of ``data.target_type``.
NEEDS_TARGETS = {"multiclass": "labels", "binary": "labels", "regression": "numbers"}
#: ``model.block_type`` of the ResNets.
BLOCK_TYPES = ("basic", "bottleneck")
