"""Name -> function registries that fill themselves from a package's modules.

A new model or dataset is one function in one module, decorated with
``@REGISTRY.register("name")``: every module of the package is imported the
first time a name is looked up, so nothing else has to be edited.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Generic, TypeVar

from kexp.config.errors import ConfigError

F = TypeVar("F", bound=Callable)


class Registry(Generic[F]):
    """Functions registered under names, looked up from a config key."""

    def __init__(self, config_key: str, package: str) -> None:
        self.config_key = config_key
        self.package = package
        self._entries: dict[str, F] = {}
        self._discovered = False

    def register(self, name: str) -> Callable[[F], F]:
        """Decorator that registers ``fn`` as ``name``."""

        def decorator(fn: F) -> F:
            if name in self._entries and self._entries[name] is not fn:
                raise ValueError(f"{self.config_key} {name!r} is registered twice")
            self._entries[name] = fn
            return fn

        return decorator

    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        package = importlib.import_module(self.package)
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{self.package}.{module.name}")

    def names(self) -> list[str]:
        """All registered names, sorted."""
        self._discover()
        return sorted(self._entries)

    def get(self, name: str) -> F:
        """The function registered as ``name``; a ConfigError naming the choices otherwise."""
        self._discover()
        if name not in self._entries:
            raise ConfigError.bad_value(self.config_key, name, "unknown; available: " + ", ".join(self.names()))
        return self._entries[name]
