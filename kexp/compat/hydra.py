"""Every use of Hydra's private modules (``hydra._internal``) in one place.

kexp checks a command line before ``@hydra.main`` runs (preflight) and renders
``--help`` from one composition. Both need a ``Hydra`` object composed the way
``@hydra.main`` composes it, and Hydra's own argument parser, which Hydra does
not export. ``tests/compat/test_hydra.py`` checks each name and signature
used here, so a Hydra upgrade that changes them fails that test loudly instead
of breaking the command line.

It also holds what differs between Hydra 1.3 and 1.4 (with OmegaConf 2.3 and
2.4), so the rest of kexp is written once: ``version_base`` (required by 1.3,
deprecated by 1.4), ``OmegaConf.register_resolver`` (2.4's name for
``register_new_resolver``) and 1.4's execution whitelist for config-selected
``_target_``s (:func:`instantiate`).
"""

from __future__ import annotations

import os
from argparse import ArgumentParser, Namespace
from typing import Any

from hydra import __version__ as hydra_version
from hydra._internal.hydra import Hydra
from hydra._internal.utils import create_automatic_config_search_path, get_args_parser
from hydra.core.config_search_path import SearchPathQuery
from hydra.core.global_hydra import GlobalHydra
from hydra.core.object_type import ObjectType
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf import __version__ as omegaconf_version


def _major_minor(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2])


#: (major, minor) of the installed Hydra and OmegaConf.
HYDRA_VERSION = _major_minor(hydra_version)
OMEGACONF_VERSION = _major_minor(omegaconf_version)
#: Keyword arguments of ``hydra.main``/``initialize_config_dir`` for Hydra 1.3's behaviour: 1.3 wants
#: ``version_base="1.3"``; 1.4 behaves so by default and deprecates the argument.
VERSION_BASE: dict[str, str] = {"version_base": "1.3"} if HYDRA_VERSION < (1, 4) else {}
#: kexp's own classes that Hydra instantiates itself (``hydra.callbacks``), trusted on Hydra 1.4.
HYDRA_MAIN: dict[str, Any] = {
    **VERSION_BASE,
    **({"execution_whitelist": ["kexp.*"]} if HYDRA_VERSION >= (1, 4) else {}),
}

#: Hydra's basic launcher (a private class): the jobs of a sweep one after another, in this process.
BASIC_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"

#: The private names this module relies on (checked by the compatibility test).
PRIVATE_API = {
    "hydra._internal.hydra.Hydra.create_main_hydra2": ("task_name", "config_search_path"),
    "hydra._internal.hydra.Hydra.compose_config": ("config_name", "overrides", "run_mode", "with_log_configuration"),
    "hydra._internal.utils.create_automatic_config_search_path": ("calling_file", "calling_module", "config_path"),
    "hydra._internal.utils.get_args_parser": (),
    "hydra._internal.config_repository.ConfigRepository.get_group_options": ("group_name", "results_filter"),
    # driven by hydra_plugins/kexp_basic_sweeper (kexp's preflight already composed the jobs)
    "hydra._internal.core_plugins.basic_sweeper.BasicSweeper.__init__": ("self", "max_batch_size", "params"),
    "hydra._internal.core_plugins.basic_sweeper.BasicSweeper.validate_batch_is_legal": ("self", "batch"),
    # where a sweep's figures are made by a helper process (kexp.runs.figure_helper)
    "hydra._internal.core_plugins.basic_launcher.BasicLauncher.launch": ("self", "job_overrides", "initial_job_idx"),
    # the jobs' value overrides applied to a copy of one composition (kexp.cli.job_configs)
    "hydra._internal.config_loader_impl.ConfigLoaderImpl._apply_overrides_to_config": ("overrides", "cfg"),
}


def args_parser() -> ArgumentParser:
    """Hydra's own command-line parser (the flags ``@hydra.main`` accepts)."""
    return get_args_parser()


def parse_args(argv: list[str]) -> Namespace:
    """Hydra's parse of ``argv`` (unknown flags are left for Hydra to report)."""
    return args_parser().parse_known_args(argv)[0]


def create_hydra(primary_config_dir: str, user_config_dir: str | None = None) -> Hydra:
    """A ``Hydra`` over ``primary_config_dir`` (+ ``--config-dir``), as ``@hydra.main`` makes it.

    ``user_config_dir`` goes where Hydra puts ``--config-dir``: before the
    structured-config schema source. Call :func:`clear` when done.
    """
    quiet_third_party_plugins()  # (Hydra scans the plugins as it starts)
    quiet_replaced_plugin_configs()
    search_path = create_automatic_config_search_path(None, None, primary_config_dir)
    if user_config_dir is not None:
        search_path.prepend(
            provider="command-line",
            path=f"file://{os.path.abspath(user_config_dir)}",
            anchor=SearchPathQuery(provider="schema"),
        )
    GlobalHydra.instance().clear()
    return Hydra.create_main_hydra2(task_name="kexp", config_search_path=search_path)


def compose(hydra: Hydra, config_name: str, overrides: list[str]) -> DictConfig:
    """The config of one single run for ``overrides`` (Hydra's exceptions pass through)."""
    return hydra.compose_config(config_name, overrides, run_mode=RunMode.RUN, with_log_configuration=False)


class ConfigGroups:
    """The config groups and options of a ``Hydra``'s search path, read from its repository.

    ``hydra.config_loader.list_groups``/``get_group_options`` deep-copy the whole
    repository on every call (a caching copy per call, for overrides that may
    change the search path); listing kexp's 30-odd groups that way cost 1 s of
    ``--help``. Without overrides the loader's own repository (the private
    ``ConfigLoaderImpl.repository``) gives the same answers (tested).
    """

    def __init__(self, hydra: Hydra) -> None:
        self._repository = hydra.config_loader.repository  # type: ignore[attr-defined]

    def list_groups(self, parent: str) -> list[str]:
        """The groups under ``parent`` ("" for the top level)."""
        return self._repository.get_group_options(parent, results_filter=ObjectType.GROUP)

    def get_group_options(self, group: str) -> list[str]:
        """The options (configs) of ``group``."""
        return self._repository.get_group_options(group, results_filter=ObjectType.CONFIG)


def apply_overrides(cfg: DictConfig, overrides: list[Any]) -> None:
    """Apply value overrides (parsed, no config groups) to a composed ``cfg`` as Hydra's composition
    applies them after merging the defaults (``ConfigLoaderImpl._apply_overrides_to_config``)."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    ConfigLoaderImpl._apply_overrides_to_config(overrides, cfg)


def basic_sweeper(max_batch_size: int | None, params: dict[str, str] | None, validate: Any) -> Any:
    """Hydra's ``BasicSweeper`` with ``validate`` as its ``validate_batch_is_legal``.

    The class is looked up now: Hydra's plugin scan re-executes the module that defines it
    (``super(BasicSweeper, self)`` then names the new class), so a subclass made at import
    time could not be instantiated."""
    import importlib

    sweeper = importlib.import_module("hydra._internal.core_plugins.basic_sweeper").BasicSweeper(max_batch_size, params)
    sweeper.validate_batch_is_legal = validate
    return sweeper


def clear() -> None:
    """Forget the global Hydra state that :func:`create_hydra` set up."""
    GlobalHydra.instance().clear()


def register_resolver(name: str, function: Any, use_cache: bool = False) -> None:
    """``OmegaConf.register_resolver`` (OmegaConf 2.4), else 2.3's ``register_new_resolver`` (2.3's
    ``register_resolver`` is an older API of another signature)."""
    register = OmegaConf.register_resolver if OMEGACONF_VERSION >= (2, 4) else OmegaConf.register_new_resolver
    register(name, function, use_cache=use_cache)  # type: ignore[call-arg]


def config_targets(node: Any) -> list[str]:
    """Every ``_target_`` named in ``node`` (a config node, mapping or list), nested ones too, each
    as written and as the path of what it names (``keras.layers.Dense`` is
    ``keras.src.layers.core.dense.Dense``: Hydra 1.4's whitelist checks both)."""
    if isinstance(node, DictConfig | dict):
        found = _target_names(str(node["_target_"])) if "_target_" in node else []
        return found + [target for value in node.values() for target in config_targets(value)]
    if isinstance(node, list | tuple) or OmegaConf.is_list(node):
        return [target for value in node for target in config_targets(value)]
    return []


def _target_names(target: str) -> list[str]:
    from hydra.utils import get_object

    try:
        found = get_object(target)
    except Exception:  # (not importable: instantiate says so, naming it)
        return [target]
    qualified = f"{getattr(found, '__module__', '')}.{getattr(found, '__qualname__', '')}"
    return [target] if qualified in (".", target) else [target, qualified]


def instantiate(node: Any, **kwargs: Any) -> Any:
    """``hydra.utils.instantiate(node, **kwargs)`` of a node from the run's own config.

    Hydra 1.4 asks for an execution whitelist of the ``_target_``s a config may
    call (and warns without one, an error in 1.5): it guards apps that load
    configs from others. A kexp config is the user's own program — the
    optimizer, schedule, callbacks, loss and data loader it names are code the
    user chose to run — so the targets named in ``node`` are the whitelist.
    Hydra 1.3 wraps what the target raises in an ``InstantiationException``;
    1.4 lets it through: here it is wrapped on both (the cause kept).
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate as hydra_instantiate

    if HYDRA_VERSION < (1, 4):
        return hydra_instantiate(node, **kwargs)
    try:
        return hydra_instantiate(node, _execution_whitelist_=config_targets(node), **kwargs)
    except InstantiationException:
        raise
    except Exception as err:
        raise InstantiationException(f"Error in call to target '{node.get('_target_')}':\n{err!r}") from err


def parse_error_reason(message: str) -> str:
    """The line of Hydra's override parse error that says what is wrong (Hydra 1.4 puts
    "Error when parsing index: 0, string: ..." before it; 1.3 starts with it)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    reasons = [line for line in lines if not line.startswith(("Error when parsing", "See https://"))]
    return (reasons or lines or [""])[0]


def quiet_third_party_plugins() -> None:
    """Silence what installed Hydra plugins warn at import on Hydra 1.4 / OmegaConf 2.4.

    Hydra's plugin scanner imports every plugin for any command and prints the
    warnings it raises; the Ray launcher (1.2.x) calls the deprecated
    ``register_new_resolver`` at import, which would put four lines before
    kexp's one-line errors. A plugin's own deprecations are for its authors.
    """
    import warnings

    warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated", module=r"hydra_plugins\.")


def quiet_replaced_plugin_configs() -> None:
    """Silence Hydra's warning about kexp's configs that replace a plugin's of the same name on purpose.

    ``conf/hydra/launcher/ray.yaml`` replaces the Ray plugin's config (see its comment) and
    ``conf/hydra/sweeper/basic.yaml`` Hydra's basic sweeper's (``hydra_plugins/kexp_basic_sweeper``);
    Hydra warns, at every composition, about any config that matches a schema's name.
    """
    import warnings

    for name in ("hydra/launcher/ray", "hydra/sweeper/basic"):
        warnings.filterwarnings("ignore", message=rf"\s*'{name}' is validated against ConfigStore schema")
