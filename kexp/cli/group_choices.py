"""The config groups of a command line: each option chosen exists (and its plugin is installed), and
no group or top-level key that every run reads is deleted (``~model``) or set to ``null``.
Hydra's own reports of these are tracebacks or several lines; here each is one line."""

from __future__ import annotations

from hydra.core.override_parser.types import Override

from kexp.cli import plugins
from kexp.cli.job_configs import override_values
from kexp.compat import hydra as hydra_compat
from kexp.config.errors import ConfigError

#: What every run reads: deleting it (``~model``, ``~objective``) was a traceback after the preflight,
#: or after the training.
REQUIRED_GROUPS = ("data", "model", "optimizer", "schedule", "regularization", "task", "trainer")
REQUIRED_KEYS = ("seed", "name", "objective", "resume")


def check_group_choices(hydra, overrides: list[Override]) -> None:
    """ConfigError for an option that a config group does not have (or whose plugin is missing), and
    for deleting a group or top-level key that every run reads."""
    loader = hydra_compat.ConfigGroups(hydra)
    groups = set(all_groups(loader))
    for override in overrides:
        group = override.key_or_group
        if override.is_delete() and group in REQUIRED_GROUPS:
            raise ConfigError(f"~{group} — every run has a {group}: choose another option ({group}=…) instead")
        if override.is_delete() and group in REQUIRED_KEYS:
            raise ConfigError(f"~{group} — every run reads {group}: give it another value ({group}=…) instead")
        if group not in groups or override.is_delete():
            continue
        options = loader.get_group_options(group)
        for text in override_values(override):
            value = text.split("=", 1)[1]
            # a group that takes several options at once: logger=[csv,mlflow]
            chosen = value[1:-1].split(",") if value.startswith("[") and value.endswith("]") else [value]
            for option in (o.strip() for o in chosen if o.strip()):
                plugins.check_plugin(group, option)
                if option.startswith("_") and option in options:  # (Hydra's glob(*) matches them too)
                    raise ConfigError.bad_value(
                        group, option, "a schema or base config, not an option; with a glob: glob(*,exclude=_*)"
                    )
                if option == "null":  # (Hydra's ValueError traceback: a group override must be a string)
                    raise ConfigError.bad_value(
                        group,
                        option,
                        "not an option; leave the group out for its default, or choose one of "
                        + ", ".join(visible(options)),
                    )
                if option not in options:
                    raise ConfigError.bad_value(
                        group, option, "unknown option; available: " + ", ".join(visible(options))
                    )


def visible(options: list[str]) -> list[str]:
    """Group options a user picks (structured-config schemas are stored as ``_schema``)."""
    return [o for o in options if not o.startswith("_")]


def all_groups(loader, parent: str = "") -> list[str]:
    """Every config group and subgroup kexp's search path has."""
    names = []
    for group in loader.list_groups(parent):
        full = f"{parent}/{group}" if parent else group
        names.append(full)
        names.extend(all_groups(loader, full))
    return names
