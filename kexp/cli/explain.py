"""Hydra's (or OmegaConf's) composition errors as one kexp line: an unknown key (with the keys there
are and the closest ones), a value of the wrong type (what the schema allows)."""

from __future__ import annotations

import dataclasses
import difflib
import enum
import re
import typing
from typing import Any

from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException
from omegaconf.errors import ValidationError as OmegaValidationError

from kexp.compat import hydra as hydra_compat
from kexp.config import added_keys
from kexp.config.errors import ConfigError


def explain(hydra, config_name: str, overrides: list[str], err: Exception) -> ConfigError:
    """Turn Hydra's (or OmegaConf's) composition error into one kexp line.

    Read from the OmegaConf exception under Hydra's (its ``full_key`` and the
    schema's type of that key), not from the message text.
    """
    cause = _omegaconf_cause(err)
    if isinstance(cause, (ConfigAttributeError, ConfigKeyError)) and cause.full_key:
        key = str(cause.full_key)
        given = next((o for o in overrides if o.lstrip("+~").split("=", 1)[0] == key), key)
        return _unknown_key(hydra, config_name, overrides, key, given)
    if isinstance(cause, OmegaValidationError) and cause.full_key:
        allowed = "must not be null" if cause.value is None else _allowed(_expected_type(cause))
        return _wrong_type(str(cause.full_key), overrides, allowed)
    text = str(err).strip()
    first_line = text.splitlines()[0] if text else type(err).__name__
    return ConfigError(f"{' '.join(overrides)} — {first_line}")


def _omegaconf_cause(err: BaseException | None) -> OmegaConfBaseException | None:
    while err is not None and not isinstance(err, OmegaConfBaseException):
        err = err.__cause__
    return err


def _expected_type(err: OmegaConfBaseException) -> Any:
    """The type the schema gives the key that failed (an item's type for a list item)."""
    leaf = str(err.key)
    if err.object_type is list:  # an item of a typed list: List[int] → int
        args = typing.get_args(err.ref_type)
        return args[0] if args else Any
    if dataclasses.is_dataclass(err.object_type):
        return typing.get_type_hints(err.object_type).get(leaf, Any)
    return Any


def _allowed(expected: Any) -> str:
    """What a value of type ``expected`` must be, in kexp's words."""
    args = [a for a in typing.get_args(expected) if a is not type(None)]
    if typing.get_origin(expected) is typing.Union and len(args) == 1:  # Optional[X]
        expected = args[0]
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        return "must be one of " + ", ".join(member.name for member in expected)
    origin = typing.get_origin(expected) or expected
    words = {
        bool: "must be true or false",
        int: "must be an integer",
        float: "must be a number",
        str: "must be a string",
        list: "must be a list",
        dict: "must be a mapping",
    }
    return words.get(origin, "must not be null" if expected is Any else f"must be of type {origin}")


def _wrong_type(key: str, overrides: list[str], allowed: str) -> ConfigError:
    """``key=value — allowed`` with the value as the command line gave it."""
    item = re.search(r"\[\d+\]$", key)
    base = key[: item.start()] if item else key
    given = next((o for o in overrides if o.lstrip("+~").split("=", 1)[0] == base), None)
    value = given.split("=", 1)[1] if given else "?"
    return ConfigError.bad_value(base, value, f"each item {allowed}" if item else allowed)


#: Hydra's nodes filled by a plugin chosen in the config group of the same path (hydra/launcher=joblib).
PLUGIN_NODES = ("hydra.launcher", "hydra.sweeper")
#: Plugins a user chooses through a kexp group (which gives them their settings): the search's sweeper.
CHOSEN_AS = {"hydra/sweeper=optuna": "hparams_search=optuna"}


def _option_with_key(hydra, config_name: str, overrides: list[str], parent: str, leaf: str) -> str | None:
    """The first option of the config group at ``parent`` (``hydra/launcher``) whose node has ``leaf``:
    composed with each option in turn (an option whose plugin is not installed is skipped)."""
    group = parent.replace(".", "/")
    kept = [o for o in overrides if not o.lstrip("+~").startswith((f"{parent}.", f"{group}="))]
    for option in hydra_compat.ConfigGroups(hydra).get_group_options(group):
        try:
            node = OmegaConf.select(hydra_compat.compose(hydra, config_name, [*kept, f"{group}={option}"]), parent)
        except (HydraException, OmegaConfBaseException, ImportError):
            continue
        if isinstance(node, DictConfig) and leaf in node:
            return option
    return None


def _unknown_key(hydra, config_name: str, overrides: list[str], key: str, given: str) -> ConfigError:
    parent, _, leaf = key.rpartition(".")
    try:
        base = hydra_compat.compose(hydra, config_name, [o for o in overrides if o != given])
        node = OmegaConf.select(base, parent) if parent else base
    except (HydraException, OmegaConfBaseException):
        node = None
    if isinstance(node, DictConfig):
        known = ", ".join(str(k) for k in node if k != "hydra")
        near = added_keys.closest_keys(base, key)
        sibling = difflib.get_close_matches(leaf, [str(k) for k in node], n=1, cutoff=0.8)
        takes_new_keys = added_keys.takes_new_keys(base, parent)
        ours = added_keys.kexp_name(base, key)
        if ours is not None:  # (the name another library gives a key it has: lr)
            hint = f"; did you mean {ours}?"
        elif sibling:  # (a typo of a key it has: alpah, max_batch_siz)
            hint = f"; did you mean {parent}.{sibling[0]}?"
        elif parent in PLUGIN_NODES and (option := _option_with_key(hydra, config_name, overrides, parent, leaf)):
            chosen = f"{parent.replace('.', '/')}={option}"  # (a key of another launcher or sweeper: joblib's n_jobs)
            hint = f"; {leaf} is a setting of {chosen}: add {CHOSEN_AS.get(chosen, chosen)}"
        elif other := added_keys.another_option_hint(parent, leaf):  # (a key of another option: milestones)
            hint = f"; {other}"
        elif takes_new_keys:
            hint = f" (to add a new key write +{given})"
        else:
            hint = f"; did you mean {' or '.join(near)}?" if near else ""
        return ConfigError(f"{given} — unknown key {leaf!r}; {parent or 'the config'} has: {known}{hint}")
    return ConfigError(f"{given} — unknown key {key!r}")
