"""Config keys that were renamed or removed, and what to write instead.

Used in two places: the command line (an old key is one line naming the new
one, before anything is composed) and the stored config of a run directory
(a run started before a rename still resumes: its stored keys are read under
their new names).
"""

from __future__ import annotations

from collections.abc import Iterable

from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import ConfigError

#: old dotted key → new dotted key (same meaning, same values).
RENAMED: dict[str, str] = {
    "data.test_fraction": "data.test_split",
    "data.targets": "data.target_type",
    "trainer.diagnostics": "trainer.gradient_flow",
}

#: Modules that moved (the reorganisation into packages): a stored ``_target_`` that names the
#: old place is read as the new one.
MOVED_TARGETS: dict[str, str] = {
    "kexp.schedules.": "kexp.training.schedules.",
    "kexp.optimizers.": "kexp.training.optimizers.",
    "kexp.losses.": "kexp.training.losses.",
    "kexp.compare.callback.": "kexp.reporting.compare.callback.",
}

#: Keys added later → the value that does what runs without the key did: a run stored before
#: the key existed still resumes when the key has that value now.
ADDED: dict[str, object] = {
    "model.leaky_relu_slope": 0.2,
    "model.strides": 1,
    "model.pooling": "max",
    "model.se_ratio": 0.0,
    "trainer.curves": "panels",
    "trainer.save_optimizer": False,
    "logger.mlflow.register_as": None,
    "regularization.activity_l1": 0.0,
    "regularization.sparsity_target": None,
    "regularization.sparsity_weight": 0.0,
    "task.loss": None,
}

#: Keys whose default changed → (the old default, the new one). A run stored with the old
#: default resumes under the new one: kexp 0.2 made the ReLU nets start from He's initialisation,
#: which a resumed run (its weights come from its backup) never uses again.
DEFAULT_CHANGED: dict[str, tuple[object, object]] = {
    "model.kernel_initializer": ("glorot_uniform", "he"),
}

#: removed dotted key → what to use instead.
REMOVED: dict[str, str] = {
    "trainer.tensorboard": "use logger=[csv,tensorboard]",
}


def check_overrides(overrides: Iterable[str]) -> None:
    """ConfigError for the first command-line override that sets a renamed or removed key."""
    for text in overrides:
        key, sep, value = text.partition("=")
        key = key.lstrip("+~")
        if not sep:
            continue
        if key in RENAMED:
            raise ConfigError(f"{key}={value} — renamed: write {RENAMED[key]}={value}")
        if key in REMOVED:
            raise ConfigError(f"{key}={value} — removed in kexp 0.2: {REMOVED[key]}")


def current_target(value: object) -> object:
    """A ``_target_`` naming a module that moved, named by its new place (other values as they are)."""
    if isinstance(value, str):
        for old, new in MOVED_TARGETS.items():
            if value.startswith(old):
                return new + value[len(old) :]
    return value


def current_names(flat: dict[str, object]) -> dict[str, object]:
    """A flat ``{dotted.key: value}`` config of an older kexp under today's key names and targets.

    A renamed key's value wins over a null that the new key held beside it
    (``data.test_split`` was a null key of every source before it took over
    ``data.test_fraction``).
    """
    out = {
        key: current_target(value) if key.endswith("_target_") else value
        for key, value in flat.items()
        if key not in REMOVED and key not in RENAMED
    }
    for old, new in RENAMED.items():
        if old in flat and (out.get(new) is None):
            out[new] = flat[old]
    return out


def stored_value(stored: dict[str, object], key: str, absent: object) -> object:
    """``key``'s value in a run's stored flat config; for a key added since, the value that meant
    the same (:data:`ADDED`); else ``absent``."""
    return stored.get(key, ADDED.get(key, absent))


def stored_matches(stored: dict[str, object], key: str, current: object) -> bool:
    """Whether ``current`` is the value the run stored for ``key``: the same, the value of a key
    added since (:data:`ADDED`), or the new default where the run had the old one
    (:data:`DEFAULT_CHANGED`)."""
    value = stored_value(stored, key, "<absent>")
    old_new = DEFAULT_CHANGED.get(key)
    return current == value or (old_new is not None and (value, current) == old_new)


def upgrade(cfg: DictConfig) -> DictConfig:
    """A resolved config saved by an older kexp (a run's ``.hydra/config.yaml``) under today's names."""
    cfg = OmegaConf.create(OmegaConf.to_container(cfg))  # type: ignore[assignment]  # (OmegaConf/Hydra/MLflow return types are wider than their use here)
    for old, new in RENAMED.items():
        value = OmegaConf.select(cfg, old, default=_ABSENT)
        if value is not _ABSENT:
            if OmegaConf.select(cfg, new, default=None) is None:
                OmegaConf.update(cfg, new, value, force_add=True)
            _delete(cfg, old)
    for key, value in _targets(cfg):
        OmegaConf.update(cfg, key, current_target(value))
    for old in REMOVED:
        _delete(cfg, old)
    return cfg


_ABSENT = object()


def _targets(node: object, prefix: str = "") -> list[tuple[str, object]]:
    """Every ``(dotted key, value)`` of a ``_target_`` in ``node``."""
    found: list[tuple[str, object]] = []
    if isinstance(node, DictConfig):
        for key, value in node.items():
            dotted = f"{prefix}.{key!s}" if prefix else str(key)
            if key == "_target_":
                found.append((dotted, value))
            else:
                found.extend(_targets(value, dotted))
    return found


def _delete(cfg: DictConfig, dotted: str) -> None:
    parent, _, leaf = dotted.rpartition(".")
    node = OmegaConf.select(cfg, parent) if parent else cfg
    if isinstance(node, DictConfig) and leaf in node:
        del node[leaf]
