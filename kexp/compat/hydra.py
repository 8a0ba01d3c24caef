"""Every use of Hydra's private modules (``hydra._internal``) in one place.

kexp checks a command line before ``@hydra.main`` runs (preflight) and renders
``--help`` from one composition. Both need a ``Hydra`` object composed the way
``@hydra.main`` composes it, and Hydra's own argument parser, which Hydra does
not export. ``tests/compat/test_hydra.py`` checks each name and signature
used here, so a Hydra upgrade that changes them fails that test loudly instead
of breaking the command line. ``pyproject.toml`` pins ``hydra-core<1.4``.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser, Namespace

from hydra._internal.hydra import Hydra
from hydra._internal.utils import create_automatic_config_search_path, get_args_parser
from hydra.core.config_search_path import SearchPathQuery
from hydra.core.global_hydra import GlobalHydra
from hydra.core.object_type import ObjectType
from hydra.types import RunMode
from omegaconf import DictConfig

#: The private names this module relies on (checked by the compatibility test).
PRIVATE_API = {
    "hydra._internal.hydra.Hydra.create_main_hydra2": ("task_name", "config_search_path"),
    "hydra._internal.hydra.Hydra.compose_config": ("config_name", "overrides", "run_mode", "with_log_configuration"),
    "hydra._internal.utils.create_automatic_config_search_path": ("calling_file", "calling_module", "config_path"),
    "hydra._internal.utils.get_args_parser": (),
    "hydra._internal.config_repository.ConfigRepository.get_group_options": ("group_name", "results_filter"),
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


def clear() -> None:
    """Forget the global Hydra state that :func:`create_hydra` set up."""
    GlobalHydra.instance().clear()
