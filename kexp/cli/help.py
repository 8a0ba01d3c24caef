"""``python -m kexp --help``: Hydra's app help, rendered from one composition.

Hydra's own ``--help`` lists and formats every config group of Hydra itself
(twice) although kexp's template shows none of them: measured on 2 cores,
``python -m kexp --help`` takes 0.4 s this way and 1.0 s through Hydra's own
help (docs/performance.md). This module needs nothing from Hydra beyond what
preflight needs anyway (:mod:`kexp.compat.hydra`). The template is
``hydra.help`` in ``conf/config.yaml``.
"""

from __future__ import annotations

import copy
import string

from omegaconf import OmegaConf, open_dict

from kexp.cli.group_choices import visible
from kexp.cli.preflight import compose, create_hydra, parse_args
from kexp.compat import hydra as hydra_compat


def wants_help(argv: list[str]) -> bool:
    """True when the command line asks for the app help (``--help`` / ``-h``)."""
    return bool(parse_args(argv).help)


def render_help(argv: list[str]) -> str:
    """The help text for this command line (overrides shown in the config part)."""
    args = parse_args(argv)
    hydra = create_hydra(args)
    try:
        cfg = compose(hydra, args.config_name or "config", args.overrides)
        loader = hydra_compat.ConfigGroups(hydra)
        groups = sorted(g for g in loader.list_groups("") if g != "hydra")
        group_lines = "\n".join(f"{g}: {', '.join(visible(loader.get_group_options(g)))}" for g in groups)
        help_cfg = cfg.hydra.help
        app_cfg = copy.deepcopy(cfg)
        with open_dict(app_cfg):
            del app_cfg["hydra"]
        return string.Template(help_cfg.template).safe_substitute(
            APP_CONFIG_GROUPS=group_lines,
            CONFIG=OmegaConf.to_yaml(app_cfg, resolve=bool(args.resolve)),
            FLAGS_HELP="Run 'python -m kexp --hydra-help' for Hydra's flags.",
            HYDRA_CONFIG_GROUPS="Run 'python -m kexp --hydra-help' for Hydra's groups.",
        )
    finally:
        hydra_compat.clear()
