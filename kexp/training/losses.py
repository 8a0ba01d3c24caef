"""Losses Keras lacks, written with ``keras.ops`` only."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kexp")
class SparseCategoricalCrossentropyWithSmoothing(keras.losses.Loss):
    """Categorical cross-entropy with label smoothing, for integer labels.

    Keras's ``SparseCategoricalCrossentropy`` has no ``label_smoothing``; this
    one-hot encodes the labels and calls ``keras.losses.categorical_crossentropy``,
    which does: targets become ``(1 − ε)·onehot + ε / classes``.
    """

    def __init__(self, label_smoothing: float = 0.0, name: str = "smoothed_crossentropy", **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        """Per-sample loss."""
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        one_hot = ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(one_hot, y_pred, label_smoothing=self.label_smoothing)

    def get_config(self) -> dict:
        """Constructor arguments, for saving with the model."""
        return {**super().get_config(), "label_smoothing": self.label_smoothing}
