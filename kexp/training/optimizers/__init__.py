"""The ``optimizer`` config group: a Keras optimizer from its YAML ``_target_``.

Keras's own optimizers are named by their class (``keras.optimizers.Adam``);
the two Keras lacks live beside this file: :mod:`kexp.training.optimizers.radam` and
:mod:`kexp.training.optimizers.adabound`. A new optimizer is one YAML in
``conf/optimizer/`` (plus, if Keras lacks it, one module here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.errors import InstantiationException

from kexp.compat.hydra import instantiate
from kexp.config.errors import ConfigError

if TYPE_CHECKING:
    import keras

    from kexp.config.schema.optimizer import OptimizerSettings


def build_optimizer(settings: OptimizerSettings) -> keras.optimizers.Optimizer:
    """Instantiate the ``optimizer`` settings (``hydra.utils.instantiate`` of ``_target_`` with its
    arguments).

    ``name`` is the YAML's short name (kept as the optimizer's Keras name).
    """
    try:
        return instantiate(settings.call(), _convert_="all")
    except InstantiationException as err:
        cause = err.__cause__ or err
        raise ConfigError(f"optimizer ({settings.target}) — {cause}") from err
