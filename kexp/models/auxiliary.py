"""Auxiliary classifiers that add to the training loss and are absent at inference."""

from __future__ import annotations

import keras
from keras import ops


def weighted_loss(loss, y, y_pred, sample_weight=None):
    """``loss`` on one head, weighted per sample as Keras weights the main output's loss (a weighted
    sum over the batch divided by its size): ``data.sample_weight`` and ``trainer.class_weight``
    count in the auxiliary heads as in the main one."""
    if isinstance(loss, keras.losses.Loss):
        return loss(y, y_pred, sample_weight=sample_weight)
    values = loss(y, y_pred)
    if sample_weight is not None:
        values = values * ops.cast(ops.reshape(sample_weight, ops.shape(values)), values.dtype)
    return ops.mean(values)


@keras.saving.register_keras_serializable(package="kexp")
class AuxiliaryLossModel(keras.Model):
    """Wrap a network whose outputs are ``[main, aux_1, ..., aux_k]``.

    Training: loss = loss(main) + ``aux_weight`` × Σ loss(aux_i) (the compiled
    loss; sparse cross-entropy if none; sample weights in every term), and
    the metrics follow the main output. Inference (``predict``, ``evaluate``,
    ``model(x)``): the main output only.
    """

    def __init__(self, network: keras.Model, aux_weight: float = 0.3, **kwargs) -> None:
        super().__init__(**kwargs)
        self.network = network
        self.aux_weight = float(aux_weight)

    @property
    def inference_model(self) -> keras.Model:
        """The main path alone (shares the layers): what inference uses."""
        return keras.Model(self.network.inputs, self.network.outputs[0], name=f"{self.name}_main")

    def call(self, inputs, training: bool = False):
        outputs = self.network(inputs, training=training)
        return list(outputs) if training else outputs[0]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not isinstance(y_pred, (list, tuple)):
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        main, *auxiliary = y_pred
        loss = super().compute_loss(x, y, main, sample_weight, training=training)
        head_loss = keras.losses.get(self.loss or "sparse_categorical_crossentropy")
        for head in auxiliary:
            loss = loss + self.aux_weight * weighted_loss(head_loss, y, head, sample_weight)
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if isinstance(y_pred, (list, tuple)):
            y_pred = y_pred[0]
        return super().compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def get_config(self) -> dict:
        return {
            "network": keras.saving.serialize_keras_object(self.network),
            "aux_weight": self.aux_weight,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict) -> AuxiliaryLossModel:
        network = keras.saving.deserialize_keras_object(config.pop("network"))
        return cls(network, **config)
