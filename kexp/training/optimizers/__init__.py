"""The ``optimizer`` config group: a Keras optimizer from its YAML ``_target_``.

Keras's own optimizers are named by their class (``keras.optimizers.Adam``);
the two Keras lacks live beside this file: :mod:`kexp.training.optimizers.radam` and
:mod:`kexp.training.optimizers.adabound`. A new optimizer is one YAML in
``conf/optimizer/`` (plus, if Keras lacks it, one module here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig

from kexp.config.errors import ConfigError

if TYPE_CHECKING:
    import keras


def build_optimizer(cfg: DictConfig) -> keras.optimizers.Optimizer:
    """Instantiate ``cfg`` (every key but ``_target_`` and ``name`` is a constructor argument).

    ``name`` is the YAML's short name (kept as the optimizer's Keras name).
    """
    try:
        return instantiate(cfg, _convert_="all")
    except InstantiationException as err:
        cause = err.__cause__ or err
        raise ConfigError(f"optimizer ({cfg.get('_target_')}) — {cause}") from err
