"""Models without Hydra: ``create_model(name, input_shape, num_classes, **overrides)`` and ``list_models``.

As timm's ``create_model``/``list_models``: a model of the zoo by its name, from the same
YAML the command line composes (``conf/model/<name>.yaml``, its defaults list followed —
a base YAML such as ``_cifar_resnet``, the family's structured schema — then
``overrides``), with the default regularization (``conf/regularization/none.yaml``). No
Hydra compose, no run: ``create_model("resnet20", (32, 32, 3), 10).count_params() == 269_722``.
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import ConfigError
from kexp.config.location import config_dir

if TYPE_CHECKING:
    import keras


def list_models(pattern: str = "*") -> list[str]:
    """The model names (``conf/model/*.yaml``, bases left out) matching ``pattern`` (fnmatch), sorted."""
    names = sorted(p.stem for p in (config_dir() / "model").glob("*.yaml") if not p.stem.startswith("_"))
    return [name for name in names if fnmatch.fnmatchcase(name, pattern)]


def group_config(group: str, option: str) -> DictConfig:
    """``conf/<group>/<option>.yaml`` with its defaults list merged (bases, then the structured
    schemas the YAML names, then the file itself), as Hydra composes one group's option."""
    from kexp.config.schema import register_schemas

    register_schemas()
    path = config_dir() / group / f"{option}.yaml"
    raw = OmegaConf.load(path)
    assert isinstance(raw, DictConfig), path  # (a group option is a mapping)
    defaults = list(raw.pop("defaults", None) or ["_self_"])
    merged: DictConfig = OmegaConf.create()
    for entry in defaults:
        if entry == "_self_":
            merged = OmegaConf.merge(merged, raw)  # type: ignore[assignment]
        elif (config_dir() / group / f"{entry}.yaml").is_file():
            merged = OmegaConf.merge(merged, group_config(group, str(entry)))  # type: ignore[assignment]
        else:
            merged = OmegaConf.merge(_schema(group, str(entry)), merged)  # type: ignore[assignment]
    return merged


def model_config(name: str, **overrides: Any) -> DictConfig:
    """The ``model`` config of ``name`` with ``overrides`` (its keys: ``filters=[8, 16]``)."""
    available = list_models()
    if name not in available:
        near = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(near)}?" if near else f"; available: {', '.join(available)}"
        raise ConfigError(f"model={name} — no such model{hint}")
    cfg = group_config("model", name)
    unknown = [key for key in overrides if key not in cfg]
    if unknown:
        raise ConfigError(
            f"{unknown[0]}={overrides[unknown[0]]} — model={name} has no such key; it has: {', '.join(cfg)}"
        )
    return OmegaConf.merge(cfg, overrides)  # type: ignore[return-value]


def create_model(
    name: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    output_activation: str = "softmax",
    **overrides: Any,
) -> keras.Model:
    """A model of the zoo for ``input_shape`` and ``num_classes``, as ``python -m kexp model=NAME`` builds
    it (the default regularization); ``overrides`` set its keys."""
    from kexp.config.run_settings import model_settings
    from kexp.models import build_model

    regularization = OmegaConf.to_object(group_config("regularization", "none"))
    settings = model_settings(model_config(name, **overrides))
    return build_model(settings, tuple(input_shape), num_classes, regularization, output_activation)  # type: ignore[arg-type]


def _schema(group: str, name: str) -> DictConfig:
    """A structured schema the YAML names (``_schema_vit``), from Hydra's ConfigStore (kexp stored it)."""
    from hydra.core.config_store import ConfigStore

    return ConfigStore.instance().load(f"{group}/{name}.yaml").node
