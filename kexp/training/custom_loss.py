"""``task.loss``: a loss of one's own ("sometimes you set the loss yourself", course text 003).

Three forms: a Keras loss name (``task.loss=huber``); ``{_target_: pkg.module.fn}`` naming a
function ``fn(y_true, y_pred)``; or ``{_target_: pkg.module.LossClass, arg: value}``, a
``keras.losses.Loss`` made by ``hydra.utils.instantiate``. Before training the loss is called
once on targets and predictions shaped as the task's (:func:`check_loss`), so a loss that does
not fit the task's output is one line naming it, not a traceback from inside ``fit``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import ConfigError


def _named(custom: object) -> str:
    if isinstance(custom, (dict, DictConfig)):
        return str(custom.get("_target_", "?"))
    return str(custom)


def resolve_loss(custom: object):
    """The loss ``task.loss`` names, or a one-line ConfigError."""
    if isinstance(custom, str):
        try:
            return keras.losses.get(custom)
        except ValueError:
            raise ConfigError.bad_value(
                "task.loss", custom, "not a Keras loss name; or give {_target_: pkg.module.my_loss}"
            ) from None
    if not isinstance(custom, (dict, DictConfig)) or "_target_" not in custom:
        raise ConfigError.bad_value("task.loss", str(custom), "must be null, a Keras loss name or {_target_: ...}")
    from hydra.utils import get_object

    from kexp.compat.hydra import instantiate

    node = OmegaConf.create(custom) if isinstance(custom, dict) else custom
    try:
        target = get_object(str(node._target_))
        if isinstance(target, type):
            return instantiate(node)
        extra = {k: v for k, v in node.items() if k != "_target_"}
        return instantiate(node, _partial_=True) if extra else target
    except Exception as err:
        reason = " ".join(str(err.__cause__ or err).split())[:200]
        raise ConfigError(f"task.loss._target_={node._target_} — cannot be made: {reason}") from err


#: Targets and predictions of each task as ``fit`` hands them to the loss (batch of 2).
def _example(task: str, units: int) -> tuple[np.ndarray, np.ndarray, str]:
    if task == "multiclass":
        probabilities = np.full((2, units), 1 / units, dtype="float32")
        return np.array([0, units - 1]), probabilities, f"integer labels (batch,), probabilities (batch, {units})"
    if task == "binary":
        return np.array([[0.0], [1.0]], "float32"), np.full((2, 1), 0.5, "float32"), "0/1 (batch, 1), (batch, 1)"
    return np.array([[1.5], [-0.5]], "float32"), np.array([[1.0], [0.0]], "float32"), "numbers (batch, 1), (batch, 1)"


def check_loss(loss, custom: object, task: str, units: int) -> None:
    """ConfigError unless ``loss`` gives a finite value on the task's targets and predictions."""
    y_true, y_pred, shapes = _example(task, units)
    try:
        value = keras.ops.convert_to_numpy(keras.ops.mean(loss(y_true, y_pred)))
    except Exception as err:
        reason = " ".join(str(err).split())[:200]
        raise ConfigError(f"task.loss={_named(custom)} — does not fit task={task} ({shapes}): {reason}") from err
    if not math.isfinite(float(value)):
        raise ConfigError(f"task.loss={_named(custom)} — gives {float(value)} on task={task}'s output ({shapes})")
