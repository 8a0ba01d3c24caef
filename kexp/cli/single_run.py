"""A command without ``-m`` that asks for a sweep is refused in one line naming ``-m``.

Without ``-m`` Hydra runs one job of the defaults and ignores the sweeper:
``hparams_search=optuna`` would train one plain run, a preset whose
``hydra.sweeper.params`` sweeps would train one of its configurations, and
``model=cnn,mlp`` is Hydra's six-line error. Each is one line here, before
anything runs. A single run that fixes every swept key on its command line
(one job of such a sweep run again: ``kexp.replay``, a trial's run) is a run.
"""

from __future__ import annotations

import shlex

from hydra.core.override_parser.types import Override
from omegaconf import DictConfig

from kexp.config.errors import ConfigError
from kexp.config.run_settings import is_search, race_sweeper, swept_params


def with_multirun(command_line: list[str]) -> str:
    """The command as it should have been typed: ``python -m kexp -m ...``."""
    return "python -m kexp -m " + " ".join(shlex.quote(arg) for arg in command_line)


def check_no_sweep_values(overrides: list[Override], command_line: list[str]) -> None:
    """ConfigError for ``key=a,b`` (or ``choice``, ``range``, ``glob``, …) without ``-m``."""
    for override in overrides:
        if override.is_sweep_override():
            key = override.get_key_element()
            values = list(override.sweep_string_iterator()) if not _is_interval(override) else []
            as_list = f"; a list value is written {key}=[{','.join(values)}]" if values else ""
            raise ConfigError(
                f"{override.input_line} — a sweep over {key}, which runs with -m: {with_multirun(command_line)}{as_list}"
            )


def check_not_a_sweep(cfg: DictConfig, overrides: list[Override], command_line: list[str]) -> None:
    """ConfigError when the composed config sweeps (a search, a preset's ``hydra.sweeper.params``)
    but the command has no ``-m``."""
    given = {o.get_key_element() for o in overrides if not o.is_hydra_override()}
    if is_search(cfg) and cfg.hparams_search.get("trial") is None:
        chosen = _chosen_by(overrides, "hparams_search") or "hparams_search=optuna"
        raise ConfigError(f"{chosen} — a search, which runs with -m: {with_multirun(command_line)}")
    if race_sweeper(cfg) is not None:
        raise ConfigError(f"hydra/sweeper=race — a race, which runs with -m: {with_multirun(command_line)}")
    params = swept_params(cfg)
    swept = [str(key) for key in params if str(key) not in given]
    if swept:
        chosen = _chosen_by(overrides, "experiment") or _chosen_by(overrides, "hparams_search") or "the config"
        sweeps = ", ".join(f"{key}={params[key]}" for key in swept)
        raise ConfigError(
            f"{chosen} — sweeps {sweeps} (hydra.sweeper.params), which runs with -m: {with_multirun(command_line)}"
            f"; or pick one value: {swept[0]}=…"
        )


def _chosen_by(overrides: list[Override], group: str) -> str | None:
    return next((str(o.input_line).lstrip("+") for o in overrides if o.key_or_group == group), None)


def _is_interval(override: Override) -> bool:
    from hydra.core.override_parser.types import IntervalSweep

    return isinstance(override.value(), IntervalSweep)
