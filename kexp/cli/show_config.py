"""``python -m kexp --cfg job|hydra|all``: Hydra shows the composed config, and where it cannot
compose it (an unknown key or option, a value of the wrong type) kexp says why in one line.

The config is composed a second time only after Hydra failed, so showing it costs what Hydra's
own ``--cfg`` costs. kexp's rules of a run are not applied: the config shows as given (a run of
it may still be refused).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from kexp.config.errors import ConfigError


def shows_config(argv: list[str]) -> bool:
    """Whether ``argv`` asks Hydra to print the config (``--cfg``) rather than to run."""
    from kexp.cli.preflight import parse_args

    return parse_args(argv).cfg is not None


def show_config(argv: list[str], hydra_main: Callable[[], object]) -> None:
    """Run ``hydra_main`` (which prints the config); its composition error as kexp's one line."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":  # (the user asked for Hydra's own reports)
        hydra_main()
        return
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises instead of printing and exiting
    try:
        hydra_main()
    except (HydraException, OmegaConfBaseException) as err:
        try:
            check_composes(argv)
        except ConfigError as explained:
            print(explained.one_line(), file=sys.stderr)
            sys.exit(2)
        print(err, file=sys.stderr)  # (Hydra's own words, where kexp has no better ones)
        sys.exit(1)


def check_composes(argv: list[str]) -> None:
    """ConfigError where the single run ``argv`` describes has no config: an unknown option of a
    group, an unknown key, a value of the wrong type."""
    from kexp.cli.group_choices import check_group_choices
    from kexp.cli.job_configs import job_overrides
    from kexp.cli.preflight import compose, create_hydra, parse_args, parse_overrides
    from kexp.compat import hydra as hydra_compat

    args = parse_args(argv)
    hydra_compat.clear()
    hydra = create_hydra(args)
    try:
        overrides = parse_overrides(args.overrides, hydra)
        check_group_choices(hydra, overrides)
        compose(hydra, args.config_name or "config", job_overrides(overrides)[0])
    finally:
        hydra_compat.clear()
