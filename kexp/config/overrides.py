"""A saved run's config with ``key=value`` overrides (``python -m kexp.evaluate RUN data.path=DIR``)."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from kexp.config.errors import ConfigError

_ABSENT = object()


def with_overrides(cfg: DictConfig, overrides: list[str]) -> DictConfig:
    """``cfg`` with ``key=value`` overrides merged in, parsed by Hydra's own override grammar.

    Only changes of existing keys are allowed (``data.path=DIR``, ``data.test_size=100``):
    a saved run's config is complete, so adding (``+``) or deleting (``~``) keys has no meaning.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    from kexp.config.paths import quote_for_hydra

    # a copy that takes values of any type
    cfg = OmegaConf.create(OmegaConf.to_container(cfg))  # type: ignore[assignment]
    for text in map(quote_for_hydra, overrides):
        try:
            override = OverridesParser.create().parse_override(text)
        except HydraException as err:
            raise ConfigError(f"{text} — not a valid override ({str(err).splitlines()[0]})") from err
        key = override.key_or_group
        if not override.is_force_add() and (
            override.is_add() or override.is_delete() or "." not in key or override.is_sweep_override()
        ):
            raise ConfigError.bad_value(
                key,
                override.get_value_element_as_str() if override.value() is not None else "?",
                "evaluate takes key=value overrides of the run's config "
                "with dotted keys, e.g. data.path=DIR or data.test_size=100",
            )
        if OmegaConf.select(cfg, key, default=_ABSENT) is _ABSENT:
            raise ConfigError.bad_value(key, override.get_value_element_as_str(), "not a key of the run's config")
        try:
            OmegaConf.update(cfg, key, override.value(), merge=False)
        except OmegaConfBaseException as err:
            raise ConfigError(f"{text} — {str(err).splitlines()[0]}") from err
    return cfg
