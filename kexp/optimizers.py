"""The ``optimizer`` config group: a Keras optimizer from its YAML ``_target_``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig

from kexp.errors import ConfigError

if TYPE_CHECKING:
    import keras


def build_optimizer(cfg: DictConfig) -> "keras.optimizers.Optimizer":
    """Instantiate ``cfg`` (every key but ``_target_`` is a constructor argument)."""
    try:
        return instantiate(cfg, _convert_="all")
    except InstantiationException as err:
        cause = err.__cause__ or err
        raise ConfigError(f"optimizer ({cfg.get('_target_')}) — {cause}") from err
