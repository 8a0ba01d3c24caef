"""``+key=value``: a key the config does not have is accepted only where something reads it.

Hydra's ``+`` adds any key; kexp reads a fixed set of keys, so a key it does
not know is nearly always a typo (``+modle=mlp``) that would otherwise run the
defaults without a word. New keys are read in one kind of place only: a
mapping with a ``_target_`` (an optimizer, a loader, a callback, a loss), whose
every key is an argument of what ``hydra.utils.instantiate`` builds. Hydra's
own ``hydra.*`` keys are left to Hydra. No Keras here.
"""

from __future__ import annotations

import dataclasses
import difflib

from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import ConfigError

#: Other libraries' names for keys kexp has (Keras 2's ``lr``, PyTorch's ``eps``): suggested,
#: never added beside the key they name (Keras 3's optimizers refuse ``lr``, after the data loads).
OTHER_NAMES = {"lr": "learning_rate", "eps": "epsilon", "bs": "batch_size"}


def kexp_name(cfg: DictConfig, key: str) -> str | None:
    """The dotted key that ``key``'s last part names in another library's words, where its parent
    has that key (``optimizer.lr`` → ``optimizer.learning_rate``); else None."""
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent) if parent else cfg
    ours = OTHER_NAMES.get(leaf)
    if ours is None or not isinstance(node, DictConfig) or ours not in node:
        return None
    return f"{parent}.{ours}" if parent else ours


def takes_new_keys(cfg: DictConfig, parent: str) -> bool:
    """Whether a new key under ``parent`` ("" for the top level) is read: some mapping on the way
    down to it, or ``parent`` itself, is built by ``hydra.utils.instantiate``."""
    node = cfg
    for part in [p for p in parent.split(".") if p]:
        if _instantiated(node):
            return True
        node = node.get(part) if isinstance(node, DictConfig) else None
        if node is None:
            return False
    return _instantiated(node)


def _instantiated(node: object) -> bool:
    """A mapping with a ``_target_`` key (set or still ``???``) that takes keys of its own: not one
    typed by a kexp schema (a schedule's), whose keys are its dataclass's fields — the typed
    settings drop any other (``+schedule.milestones`` on ``schedule=constant`` changed nothing) —
    nor one of kexp's sweepers."""
    return (
        isinstance(node, DictConfig)
        and "_target_" in node.keys()  # noqa: SIM118 (`in node` is False for ???)
        and not dataclasses.is_dataclass(OmegaConf.get_type(node))
        and not _kexp_plugin(node)
    )


def _kexp_plugin(node: DictConfig) -> bool:
    """A node of kexp's own Hydra plugins (its sweepers): they read the keys their YAML lists and
    refuse any other (:func:`kexp.search.plugin_spellings.check_sweeper_keys`)."""
    target = OmegaConf.select(node, "_target_", default=None, throw_on_missing=False)
    return isinstance(target, str) and target.startswith("hydra_plugins.kexp_")


def options_with_key(group: str, leaf: str) -> list[str]:
    """The options of kexp's config group ``group`` (``conf/<group>/*.yaml``, bases left out) that
    have the key ``leaf``: ``options_with_key("schedule", "milestones") == ["step"]``."""
    from kexp.config.location import config_dir
    from kexp.models.factory import group_config

    folder = config_dir() / group
    if not group or "/" in group or "." in group or not folder.is_dir():
        return []
    names = sorted(p.stem for p in folder.glob("*.yaml") if not p.stem.startswith("_"))
    return [name for name in names if leaf in group_config(group, name)]


def another_option_hint(parent: str, leaf: str) -> str | None:
    """``milestones is a setting of schedule=step: choose it`` where ``parent`` is a kexp group
    whose other options have ``leaf``; else None."""
    options = options_with_key(parent, leaf)
    if not options:
        return None
    listed = f"{parent}=" + (options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}")
    return f"{leaf} is a setting of {listed}: choose {'it' if len(options) == 1 else 'one'}"


def closest_keys(cfg: DictConfig, key: str) -> list[str]:
    """The keys of ``cfg`` (as dotted paths) whose spelling is closest to ``key`` (its last part in
    kexp's words: ``lr`` as ``learning_rate``)."""
    parent, _, leaf = key.rpartition(".")
    if leaf in OTHER_NAMES:
        key = f"{parent}.{OTHER_NAMES[leaf]}" if parent else OTHER_NAMES[leaf]
    leaves = [k for k in _dotted_keys(cfg) if k != key and not key.startswith(f"{k}.")]
    near = difflib.get_close_matches(key, leaves, n=3, cutoff=0.6)
    if not near:  # a misspelt last part under the right parent: model.hiden_units
        parent, _, leaf = key.rpartition(".")
        siblings = [k.rpartition(".")[2] for k in leaves if k.rpartition(".")[0] == parent]
        near = [f"{parent}.{s}" if parent else s for s in difflib.get_close_matches(leaf, siblings, n=3, cutoff=0.5)]
    return near


def check_added(cfg: DictConfig, key: str, text: str) -> None:
    """ConfigError when ``text`` (``+key=value``) adds ``key`` where nothing reads it."""
    if key == "hydra" or key.startswith("hydra."):
        return
    parent = key.rpartition(".")[0]
    ours = kexp_name(cfg, key)
    if ours is not None:
        value = text.partition("=")[2]
        raise ConfigError(f"{text} — kexp calls {key} {ours}; write {ours}={value}")
    if takes_new_keys(cfg, parent):
        return
    near = closest_keys(cfg, key)
    hint = f"did you mean {' or '.join(near)}?" if near else "see python -m kexp --cfg job for the keys there are"
    if (other := another_option_hint(parent, key.rpartition(".")[2])) is not None:
        hint = other
    node = OmegaConf.select(cfg, parent, default=None) if parent else cfg
    if isinstance(node, DictConfig) and dataclasses.is_dataclass(OmegaConf.get_type(node)):
        where = f"{parent} has no key {key.rpartition('.')[2]!r}, and takes no key beyond its own"
    else:
        where = f"{parent} has no key {key.rpartition('.')[2]!r}" if parent else f"the config has no key {key!r}"
        where += "; new keys are read only under a _target_"
    raise ConfigError(f"{text} — nothing reads {key} ({where}); {hint}")


def _dotted_keys(cfg: DictConfig) -> list[str]:
    """Every key of ``cfg`` but ``hydra``'s, as a dotted path (mappings and their leaves)."""
    app = OmegaConf.masked_copy(cfg, [str(k) for k in cfg if k != "hydra"])
    keys: list[str] = []

    def walk(mapping: dict, prefix: str) -> None:
        for name, value in mapping.items():
            keys.append(f"{prefix}{name}")
            if isinstance(value, dict):
                walk(value, f"{prefix}{name}.")

    walk(OmegaConf.to_container(app, resolve=False), "")  # type: ignore[arg-type]
    return keys
