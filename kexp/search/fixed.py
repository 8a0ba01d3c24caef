"""A study is tied to everything its search does not vary.

A second search under the same study name but with other fixed settings (another
data size, more epochs, another model option) would ask Optuna with the first
one's history and report that study's best trial, which came from other
settings. The first searcher records its fixed settings in the study (user
attribute ``kexp_fixed``); a searcher whose fixed settings differ is refused in
one line naming the study and the keys that differ, before any trial runs.
The seed is not a setting here (trials of several seeds may share a study), nor
are kexp's bookkeeping keys or ``hparams_search.*`` (how to search, not what).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kexp.config.errors import ConfigError

#: The study's user attribute holding the fixed settings of its searches.
FIXED_ATTRIBUTE = "kexp_fixed"
#: Keys that never tie a study: the seed, the run's name and bookkeeping, the search's own settings.
UNTIED = ("seed", "name", "resume", "trainer.verbose")
UNTIED_PREFIXES = ("hparams_search.",)


def untied(values: dict[str, Any], searched: Iterable[str]) -> dict[str, Any]:
    """Of a run's resolved settings (``values``, flat: ``{"model.name": "cnn", ...}``), those the search
    does not vary (a config group it varies, ``model``, unties all of ``model.*``)."""
    varied = tuple(searched)
    below = tuple(f"{key}." for key in varied)
    return {
        key: value
        for key, value in values.items()
        if key not in UNTIED and not key.startswith(UNTIED_PREFIXES) and key not in varied and not key.startswith(below)
    }


def check_fixed(study_attrs: dict[str, Any], fixed: dict[str, Any], study_name: str) -> None:
    """ConfigError when the study was searched with other fixed settings than ``fixed``."""
    stored = study_attrs.get(FIXED_ATTRIBUTE)
    if stored is None:
        return
    keys = [k for k in dict.fromkeys([*stored, *fixed]) if _plain(stored.get(k)) != _plain(fixed.get(k))]
    if not keys:
        return
    shown = "; ".join(f"{k}: {_show(stored, k)} there, {_show(fixed, k)} here" for k in keys[:4])
    more = f" and {len(keys) - 4} more" if len(keys) > 4 else ""
    raise ConfigError.bad_value(
        "hparams_search.study_name",
        study_name,
        f"a study searched with other fixed settings ({shown}{more}); its trials would steer and rank this "
        "search: give a new hparams_search.study_name, or the study's settings",
    )


def record_fixed(study: Any, fixed: dict[str, Any]) -> None:
    """Tie ``study`` to ``fixed`` (the first searcher does; the same value again is harmless)."""
    if FIXED_ATTRIBUTE not in study.user_attrs:
        study.set_user_attr(FIXED_ATTRIBUTE, {k: _plain(v) for k, v in fixed.items()})


def _plain(value: Any) -> Any:
    """A value as the storage keeps it (JSON: tuples become lists, other objects their text)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _show(settings: dict[str, Any], key: str) -> str:
    return "(absent)" if key not in settings else str(settings[key])
