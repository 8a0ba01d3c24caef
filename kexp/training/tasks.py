"""The ``task`` config group: output layer, loss, metrics and targets chosen together.

=============  ==================  ===========================  ===============
task           output activation   loss                         metrics
=============  ==================  ===========================  ===============
multiclass     softmax (n units)   categorical cross-entropy    accuracy
binary         sigmoid (1 unit)    binary cross-entropy         accuracy, AUC
regression     linear (1 unit)     mean squared error           MAE
=============  ==================  ===========================  ===============

Labels stay integers (sparse cross-entropy); with label smoothing they are
one-hot encoded inside the loss. A regression model ends in a ``Rescaling``
by the training targets' standard deviation and mean, so the dense layer
learns a standardised target while predictions and the loss are in the
data's own units.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kexp.config.errors import ConfigError

if TYPE_CHECKING:
    import keras

    from kexp.config.schema.task import TaskConfig
    from kexp.data import Dataset

from kexp.config.choices import NEEDS_TARGETS

_SUGGEST = {"labels": "task=multiclass or task=binary", "numbers": "task=regression"}


def check_task_fits_data(task: str, targets: str, data_name: str) -> None:
    """ConfigError unless ``task`` can learn ``data.target_type`` (labels or numbers)."""
    needed = NEEDS_TARGETS.get(task)
    if needed is None or needed == targets or targets == "auto":  # auto: checked once the data is read
        return
    hint = " — or data.target_type=numbers to regress on the label values" if task == "regression" else ""
    raise ConfigError(
        f"task={task} needs {'class labels' if needed == 'labels' else 'numeric targets'}"
        f", but data={data_name} has data.target_type={targets} — use {_SUGGEST[targets]}"
        f"{hint}"
    )


#: The metrics each task compiles (:meth:`Task.metrics`) by the names Keras logs them under. With the
#: loss, each is logged every epoch for training and, prefixed ``val_``, for validation.
TASK_METRICS = {"multiclass": ("accuracy",), "binary": ("accuracy", "auc"), "regression": ("mae",)}


def epoch_logs(task: str) -> list[str]:
    """The metrics a run of ``task`` logs every epoch (``history.csv``'s columns besides the learning
    rate and the seconds): what a callback's ``monitor`` may name."""
    names = ["loss", *TASK_METRICS.get(task, ())]
    return [*names, *(f"val_{name}" for name in names)]


@dataclass(frozen=True)
class Task:
    """One task's choices, resolved from ``cfg.task`` and ``regularization.label_smoothing``."""

    name: str
    positive_class: int | str | None = None
    label_smoothing: float = 0.0
    #: ``task.loss``: a loss of one's own (a Keras name or a ``_target_`` mapping), else None
    custom_loss: object = None

    @classmethod
    def from_settings(cls, task: TaskConfig, label_smoothing: float = 0.0) -> Task:
        """The ``task`` group's choices with ``regularization.label_smoothing``, checked together."""
        smoothing = float(label_smoothing)
        name = task.name
        if name not in NEEDS_TARGETS:
            raise ConfigError.bad_value("task.name", name, "unknown; available: " + ", ".join(NEEDS_TARGETS))
        if name == "regression" and smoothing > 0:
            raise ConfigError.bad_value(
                "regularization.label_smoothing",
                str(smoothing),
                "applies to classification; use 0 with task=regression",
            )
        custom = task.loss
        if custom is not None and smoothing > 0:
            raise ConfigError.bad_value(
                "regularization.label_smoothing", str(smoothing), "not with task.loss (your loss decides)"
            )
        return cls(name, task.positive_class, smoothing, custom)

    @property
    def output_activation(self) -> str:
        """softmax, sigmoid or linear."""
        return {"multiclass": "softmax", "binary": "sigmoid", "regression": "linear"}[self.name]

    def output_units(self, num_classes: int) -> int:
        """Units of the output layer."""
        return num_classes if self.name == "multiclass" else 1

    def metrics(self) -> list:
        """Keras metrics for ``compile``."""
        import keras

        if self.name == "multiclass":
            return ["accuracy"]
        if self.name == "binary":
            return [keras.metrics.BinaryAccuracy(name="accuracy"), keras.metrics.AUC(name="auc")]
        return [keras.metrics.MeanAbsoluteError(name="mae")]

    def loss(self) -> keras.losses.Loss | str:
        """The loss for ``compile`` (``task.loss`` when given: :mod:`kexp.training.custom_loss`)."""
        import keras

        if self.custom_loss is not None:
            from kexp.training.custom_loss import resolve_loss

            return resolve_loss(self.custom_loss)
        if self.name == "multiclass":
            if self.label_smoothing > 0:
                from kexp.training.losses import SparseCategoricalCrossentropyWithSmoothing

                return SparseCategoricalCrossentropyWithSmoothing(self.label_smoothing)
            return "sparse_categorical_crossentropy"
        if self.name == "binary":
            return keras.losses.BinaryCrossentropy(label_smoothing=self.label_smoothing)
        return "mean_squared_error"

    def check_fits(self, data: Dataset, data_name: str) -> None:
        """ConfigError unless this task can learn ``data``'s targets as they were read (class labels or
        numbers; ``data.target_type=auto`` is decided by reading them)."""
        check_task_fits_data(self.name, "labels" if data.has_class_labels else "numbers", data_name)

    def prepare(self, data: Dataset) -> Dataset:
        """The dataset with targets this task's loss expects (binary: 1 = positive class)."""
        if self.name == "binary":
            positive = self._positive_class(data)
            to_binary = lambda y: (y == positive).astype("float32")  # noqa: E731
            names = self._binary_names(data, positive) if data.class_names else None
            return replace(data.map_targets(to_binary, num_classes=2), class_names=names)
        return data

    @staticmethod
    def _binary_names(data: Dataset, positive: int) -> tuple[str, str]:
        """Class 0 and class 1 of the binary task: the data's own names when it has two classes
        (``no``, ``yes``), else ``not <positive>`` and ``<positive>`` (one class against the rest)."""
        if data.num_classes == 2:
            return data.class_name(1 - positive), data.class_name(positive)
        return f"not {data.class_name(positive)}", data.class_name(positive)

    def _positive_class(self, data: Dataset) -> int:
        """The label that counts as 1: ``task.positive_class`` as a label or a class name."""
        if isinstance(self.positive_class, str):
            names = data.class_names or ()
            if self.positive_class not in names:
                raise ConfigError.bad_value(
                    "task.positive_class",
                    self.positive_class,
                    f"not a class of data={data.name}; its classes: "
                    + (", ".join(names) or "unnamed, use a label 0..n-1"),
                )
            return names.index(self.positive_class)
        if self.positive_class is None:
            if data.num_classes == 2:
                return 1
            raise ConfigError(
                f"task.positive_class=null — data={data.name} has {data.num_classes} "
                f"classes; set task.positive_class to one of 0..{data.num_classes - 1} "
                "(that class against the rest)"
            )
        if not 0 <= self.positive_class < data.num_classes:
            raise ConfigError.bad_value(
                "task.positive_class",
                str(self.positive_class),
                f"must be a label of data={data.name}: 0..{data.num_classes - 1}",
            )
        return self.positive_class

    def finish_model(self, model: keras.Model, data: Dataset) -> keras.Model:
        """Regression: append ``Rescaling(std, mean)`` of the training targets; others: as is."""
        if self.name != "regression":
            return model
        import keras
        import numpy as np

        mean, std = float(np.mean(data.y_train)), float(np.std(data.y_train)) or 1.0
        scale = keras.layers.Rescaling(scale=std, offset=mean, name="target_scale", dtype="float32")
        return keras.Model(model.inputs, scale(model.outputs[0]), name=model.name)
