"""A config as one flat mapping ``{dotted.key: value}``: resolved (:func:`flat_config`, pandas'
``json_normalize``) or as written, interpolations unresolved (:func:`raw_leaves`, no pandas)."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import DictConfig, OmegaConf

#: Keys that may grow between a run's starts: training continues to the new value.
EXTENSIBLE_KEYS = ("trainer.epochs",)


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


def leaves(mapping: dict, prefix: str = "") -> dict[str, object]:
    """``{dotted.key: value}`` of a nested mapping (lists stay values; empty mappings stay values)."""
    out: dict[str, object] = {}
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(leaves(value, f"{dotted}."))
        else:
            out[dotted] = value
    return out


def raw_leaves(cfg: DictConfig) -> dict[str, object]:
    """The config without ``hydra`` as written: ``???`` and ``${...}`` left as they are (nothing is
    resolved, so a missing value or a broken interpolation cannot raise)."""
    raw = OmegaConf.to_container(OmegaConf.masked_copy(cfg, [str(k) for k in cfg if k != "hydra"]), resolve=False)
    return leaves(raw) if isinstance(raw, dict) else {}


@dataclass(frozen=True)
class RunConfig:
    """A run's config as a run directory stores and compares it: resolved and flat (``values``), and
    the keys that may grow on a rerun (``growable``: :data:`EXTENSIBLE_KEYS` and the keys that follow
    one of them, e.g. ``schedule.epochs: ${trainer.epochs}`` in the cosine schedule)."""

    values: dict[str, object]
    growable: frozenset[str] = field(default_factory=lambda: frozenset(EXTENSIBLE_KEYS))
    #: ``resume``: auto (a plain rerun continues the newest unfinished run of this config) or never
    resume: str = "auto"


def run_config(cfg: DictConfig) -> RunConfig:
    """``cfg`` as a run directory stores and compares it."""
    references = {f"${{{key}}}" for key in EXTENSIBLE_KEYS}
    followers = {k for k, v in raw_leaves(cfg).items() if isinstance(v, str) and v.strip() in references}
    resume = OmegaConf.select(cfg, "resume", default="auto")
    return RunConfig(flat_config(cfg), frozenset(EXTENSIBLE_KEYS) | followers, str(resume))
