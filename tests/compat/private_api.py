"""Shared check of a compat module's ``PRIVATE_API``: each name exists in the installed library."""

from __future__ import annotations

import importlib
import inspect


def resolve(dotted: str):
    """The object ``dotted`` names (a module, or an attribute path inside one); None if it is gone."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
            break
        except ImportError:
            continue
    else:
        return None
    for attribute in parts[split:]:
        target = getattr(target, attribute, None)
        if target is None:
            return None
    return target


def missing_attributes(owner, attributes, instance=None) -> list[str]:
    """The ``attributes`` that neither the class ``owner`` nor ``instance`` (made from it) has."""
    return [a for a in attributes if not hasattr(owner, a) and not (instance is not None and hasattr(instance, a))]


def missing_arguments(function, arguments) -> list[str]:
    """The ``arguments`` that ``function``'s signature lacks."""
    parameters = inspect.signature(function).parameters
    return [a for a in arguments if a not in parameters]
