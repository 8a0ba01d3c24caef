"""The settings Hydra's Optuna plugin (``hydra-optuna-sweeper``) users write, read the kexp way.

kexp's sweeper replaced the plugin; configs written for it keep working where kexp can do
what they ask, and are one line saying what to write instead where it differs on purpose —
never accepted and ignored:

- ``hydra/sweeper/sampler=tpe`` (the plugin's sampler group, ``conf/hydra/sweeper/sampler/``)
  or ``hydra.sweeper.sampler._target_=optuna.samplers.TPESampler`` with the sampler's
  arguments: the same sampler as ``hparams_search.sampler=tpe`` with those arguments as
  ``hparams_search.sampler_options`` (``seed`` is the search's seed);
- ``hydra.sweeper.direction=maximize`` (or a list): kexp takes each objective's direction from
  the metric (losses are minimised, everything else maximised); a direction that agrees is
  fine, one that contradicts it is one line naming the objective to choose instead;
- ``hydra.sweeper.custom_search_space=pkg.fn``: one line — kexp's space is
  ``hydra.sweeper.params`` (and the command line's sweeps);
- ``hydra.sweeper.storage`` / ``hydra.sweeper.study_name``: the same keys as
  ``hparams_search.storage`` / ``study_name`` (the sweeper's are interpolated from them), read
  by the searcher and every trial alike (:mod:`kexp.search.sweeper`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kexp.config.errors import ConfigError

#: Optuna's sampler classes by the name kexp gives them (``hparams_search.sampler``).
SAMPLER_NAMES = {
    "TPESampler": "tpe",
    "RandomSampler": "random",
    "GridSampler": "grid",
    "CmaEsSampler": "cmaes",
    "GPSampler": "gp",
    "NSGAIISampler": "nsga2",
}


def sampler_spelling(node: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """``(kexp's sampler name, its options)`` for a sampler given by ``_target_`` (the plugin's
    spelling); None when the node has no ``_target_``."""
    if not node or not node.get("_target_"):
        return None
    target = str(node["_target_"])
    name = SAMPLER_NAMES.get(target.rsplit(".", 1)[-1])
    if name is None or not target.startswith("optuna.samplers."):
        raise ConfigError.bad_value(
            "hydra.sweeper.sampler._target_",
            target,
            "one of optuna.samplers." + ", optuna.samplers.".join(SAMPLER_NAMES) + " (or hparams_search.sampler=NAME)",
        )
    return name, {str(k): v for k, v in node.items() if k not in ("_target_", "seed", "search_space")}


def check_directions(given: Any, objectives: list[str], directions: list[str]) -> None:
    """ConfigError (one line) when ``hydra.sweeper.direction`` contradicts the objectives' own."""
    if given is None:
        return
    stated = [str(d).lower() for d in (given if isinstance(given, (list, tuple)) else [given])]
    if stated == directions:
        return
    shown = stated[0] if len(stated) == 1 else "[" + ",".join(stated) + "]"
    ours = ", ".join(
        f"{o} is {'minimised' if d == 'minimize' else 'maximised'}" for o, d in zip(objectives, directions)
    )
    raise ConfigError(
        f"hydra.sweeper.direction={shown} — kexp takes the direction from the objective ({ours}; losses are "
        "minimised, everything else maximised): choose the objective instead, e.g. objective=val_loss to minimise"
    )


def check_custom_search_space(given: Any) -> None:
    """ConfigError (one line) for ``hydra.sweeper.custom_search_space``."""
    if given:
        raise ConfigError(
            f"hydra.sweeper.custom_search_space={given} — kexp's search space is hydra.sweeper.params and the "
            "command line's sweeps (choice, range, interval, tag(log, …)); write the function's parameters there"
        )


def sweeper_keys(option: str) -> tuple[str, ...]:
    """The keys of a sweeper's node as its YAML (``conf/hydra/sweeper/<option>.yaml``) writes them:
    the one owner of what the sweeper reads."""
    import yaml

    from kexp.config.location import config_dir

    written = yaml.safe_load((config_dir() / "hydra" / "sweeper" / f"{option}.yaml").read_text(encoding="utf-8"))
    return tuple(str(key) for key in written if key != "defaults")


def check_sweeper_keys(sweeper: Mapping[str, Any], known: tuple[str, ...], what: str) -> None:
    """ConfigError (one line) for a key of ``hydra.sweeper`` that nothing reads (added with ``+``)."""
    import difflib

    unknown = [str(key) for key in sweeper if key not in known]
    if unknown:
        _check_one_sweeper(unknown, known, what)
    for key in sweeper:
        if key not in known:
            near = difflib.get_close_matches(str(key), [k for k in known if k != "_target_"], n=1)
            hint = f"; did you mean hydra.sweeper.{near[0]}?" if near else ""
            shown = ", ".join(k for k in known if k != "_target_")
            raise ConfigError(f"hydra.sweeper.{key} — not a setting of {what} (it has {shown}){hint}")


def _check_one_sweeper(unknown: list[str], known: tuple[str, ...], what: str) -> None:
    """ConfigError when the keys ``what`` does not read are another sweeper's (``hparams_search=optuna
    hydra/sweeper=race``: Hydra merged the race's settings into the search's node)."""
    from kexp.config.location import config_dir

    for option in sorted(p.stem for p in (config_dir() / "hydra" / "sweeper").glob("*.yaml")):
        theirs = set(sweeper_keys(option))
        if theirs != set(known) and set(unknown) <= theirs:
            raise ConfigError(
                f"hydra.sweeper.{unknown[0]} — a setting of hydra/sweeper={option}, not of {what}: a sweep has "
                "one sweeper; choose one"
            )
