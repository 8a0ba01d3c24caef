"""A composed config as one flat mapping ``{dotted.key: value}`` (pandas' ``json_normalize``)."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf


def flat_config(cfg: DictConfig) -> dict[str, object]:
    """The resolved config without ``hydra`` as ``{"model.name": "cnn", ...}``.

    Lists stay values; empty mappings have no leaf and are left out.
    """
    app = OmegaConf.masked_copy(cfg, [str(key) for key in cfg if key != "hydra"])
    container = OmegaConf.to_container(app, resolve=True, enum_to_str=True)
    if not container:
        return {}
    import pandas as pd  # (here: the command line checks configs without importing pandas)

    return {str(k): _plain(v) for k, v in pd.json_normalize(container, sep=".").iloc[0].items()}


def _plain(value: object) -> object:
    """NumPy scalars (which pandas may hand back) as Python values, for YAML and comparisons."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (list, dict)) else value
