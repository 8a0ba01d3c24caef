"""The configurations a race compares: the command line's sweeps as a grid, checked.

Each ``key=a,b`` (or ``choice(a,b)``, ``range(1,4)``) multiplies the grid, as Hydra's basic
sweeper does; a fixed ``key=value`` goes into every configuration. The race owns ``seed``,
and an interval has no grid: both are one line before anything runs, as is a grid of one
configuration (nothing to race).
"""

from __future__ import annotations

import itertools

from kexp.config.errors import ConfigError
from kexp.race.decision import RaceSettings


def race_grid(arguments: list[str], settings: RaceSettings) -> list[list[str]]:
    """The grid of ``arguments`` (the sweep's overrides), each configuration a list of overrides
    (the swept ones first, in the command line's order; then the fixed ones)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    settings.check()
    axes: list[list[str]] = []
    fixed: list[str] = []
    for override in OverridesParser.create().parse_overrides(arguments):
        key = override.get_key_element()
        if override.is_hydra_override():
            continue
        text = str(override.input_line).split("=", 1)[-1]
        if key.lstrip("+~") == "seed" and not override.is_sweep_override():
            continue  # (the first seed: the sweeper's own ``seed``, seed+1, ... follow)
        if key.lstrip("+~") == "seed":
            raise ConfigError.bad_value(
                "seed",
                text,
                "the race runs the seeds itself (seed, seed+1, ... up to hydra.sweeper.max_seeds); "
                "give one first seed (seed=3), or none",
            )
        if not override.is_sweep_override():
            fixed.append(str(override.input_line))
        elif override.is_discrete_sweep():
            axes.append([f"{key}={value}" for value in override.sweep_string_iterator()])
        else:
            raise ConfigError.bad_value(key, text, "a race takes a list of values (a=1,2,3), not an interval")
    grid = [[*configuration, *fixed] for configuration in itertools.product(*axes)]
    if len(grid) < 2 or not axes:
        raise ConfigError(
            f"hydra/sweeper=race — races a grid of configurations, and {' '.join(arguments) or 'this command'} "
            "gives one; sweep a key (e.g. model=cnn,mlp)"
        )
    return grid
