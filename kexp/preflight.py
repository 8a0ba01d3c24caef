"""Compose and validate the config before Hydra creates any run directory.

Hydra reports a bad override as several lines and exits 1; kexp turns the
same problems (unknown group option, unknown key, a value that breaks a rule)
into one line and exit code 2, before TensorFlow is imported and before a run
directory is made. Multirun sweeps are checked for every job of the grid.
"""

from __future__ import annotations

import os
import re
from argparse import Namespace
from pathlib import Path

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra._internal.hydra import Hydra
from hydra._internal.utils import create_automatic_config_search_path, get_args_parser
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.config_search_path import SearchPathQuery
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from kexp.config_dir import config_dir
from kexp.errors import ConfigError
from kexp.validation import validate

#: Beyond this many jobs only the first ones are checked up front.
MAX_CHECKED_JOBS = 256

_SKIP_FLAGS = ("help", "hydra_help", "info", "shell_completion", "version", "cfg",
               "experimental_rerun")


def preflight(argv: list[str]) -> None:
    """Raise ConfigError if any job the command line describes has a bad config."""
    args = parse_args(argv)
    if any(getattr(args, flag, None) for flag in _SKIP_FLAGS):
        return
    overrides = _parse_overrides(args.overrides)
    if not args.multirun and any(o.is_sweep_override() for o in overrides):
        return  # Hydra itself says that a sweep needs --multirun.
    check_output_dir(args)
    hydra = create_hydra(args)
    try:
        _check_group_choices(hydra, overrides)
        jobs = BasicSweeper.split_arguments(overrides, None)[0] if args.multirun else [args.overrides]
        for job_overrides in jobs[:MAX_CHECKED_JOBS]:
            validate(_compose(hydra, args.config_name or "config", list(job_overrides)))
    finally:
        GlobalHydra.instance().clear()


def _parse_overrides(texts: list[str]) -> list[Override]:
    parser = OverridesParser.create()
    for text in texts:
        try:
            parser.parse_overrides([text])
        except HydraException as err:
            first = next((line.strip() for line in str(err).splitlines() if line.strip()), "")
            raise ConfigError(f"{text} — not a valid override ({first}); see "
                              "https://hydra.cc/docs/advanced/override_grammar/basic/") from err
    return parser.parse_overrides(texts)


def parse_args(argv: list[str]) -> Namespace:
    """Hydra's own command-line parse of ``argv``."""
    return get_args_parser().parse_known_args(argv)[0]


def create_hydra(args: Namespace) -> Hydra:
    """A Hydra instance over kexp's configs plus ``--config-dir``, as ``@hydra.main`` makes."""
    search_path = create_automatic_config_search_path(None, None, str(config_dir()))
    if args.config_dir is not None:
        config_dir_path = os.path.abspath(args.config_dir)
        if not os.path.isdir(config_dir_path):
            raise ConfigError(f"--config-dir {args.config_dir} — no such directory")
        # as hydra._internal.utils._run_hydra does: before the structured-config schema source
        search_path.prepend(provider="command-line", path=f"file://{config_dir_path}",
                            anchor=SearchPathQuery(provider="schema"))
    GlobalHydra.instance().clear()
    return Hydra.create_main_hydra2(task_name="kexp", config_search_path=search_path)


def check_output_dir(args: Namespace) -> None:
    """Fail early when the run (or sweep) directory could not be created."""
    key = "hydra.sweep.dir" if args.multirun else "hydra.run.dir"
    given = next((o.split("=", 1)[1] for o in args.overrides if o.startswith(f"{key}=")), None)
    fixed_part = (given or "outputs").split("${")[0]
    ancestor = Path(os.path.abspath(fixed_part or "."))
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        reason = "is not a directory" if not ancestor.is_dir() else "is not writable"
        raise ConfigError.bad_value(key, given or "outputs/...",
                                    f"cannot create the run directory: {ancestor} {reason}")


def _check_group_choices(hydra: Hydra, overrides: list[Override]) -> None:
    loader = hydra.config_loader
    groups = set(_all_groups(loader))
    for override in overrides:
        group = override.key_or_group
        if group not in groups or override.is_delete():
            continue
        values = (list(override.sweep_string_iterator()) if override.is_sweep_override()
                  else [override.get_value_element_as_str()])
        options = loader.get_group_options(group)
        for value in values:
            if value not in options:
                raise ConfigError.bad_value(
                    group, value, "unknown option; available: " + ", ".join(options))


def _all_groups(loader, parent: str = "") -> list[str]:
    names = []
    for group in loader.list_groups(parent):
        full = f"{parent}/{group}" if parent else group
        names.append(full)
        names.extend(_all_groups(loader, full))
    return names


def _compose(hydra: Hydra, config_name: str, overrides: list[str]) -> DictConfig:
    try:
        return hydra.compose_config(config_name, overrides, run_mode=run_mode(),
                                    with_log_configuration=False)
    except HydraException as err:
        raise _explain(hydra, config_name, overrides, err) from err


def run_mode() -> RunMode:
    """Compose as for a single run."""
    return RunMode.RUN


_COULD_NOT_OVERRIDE = re.compile(r"Could not (?:override|append to config\.) '([^']+)'")


def _explain(hydra: Hydra, config_name: str, overrides: list[str],
             err: HydraException) -> ConfigError:
    """Turn Hydra's multi-line composition error into one kexp line."""
    text = str(err)
    match = _COULD_NOT_OVERRIDE.search(text)
    if match:
        key = match.group(1)
        given = next((o for o in overrides if o.lstrip("+~").split("=", 1)[0] == key), key)
        parent, _, leaf = key.rpartition(".")
        try:
            base = hydra.compose_config(config_name, [o for o in overrides if o != given],
                                        run_mode=run_mode(), with_log_configuration=False)
            node = OmegaConf.select(base, parent) if parent else base
        except HydraException:
            node = None
        if isinstance(node, DictConfig):
            known = ", ".join(str(k) for k in node.keys() if k != "hydra")
            return ConfigError(f"{given} — unknown key {leaf!r}; {parent or 'the config'} has: "
                               f"{known} (to add a new key write +{given})")
        return ConfigError(f"{given} — unknown key {key!r}")
    first_line = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    return ConfigError(f"{' '.join(overrides)} — {first_line}")
