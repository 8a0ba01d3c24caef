"""Every job of a command line: its overrides (the product of each sweep's values), and its config
composed for the preflight — Hydra's full composition once per choice of config groups.

Hydra's composition of one job (the defaults tree, the YAML files, the merges) takes
about 0.1 s, and a sweep's jobs mostly differ in values only (``seed=0,1,2``,
``optimizer.learning_rate=…``). Here a job's config is the composition of its config
group choices — made by Hydra once per distinct choice — with the job's value overrides
applied to a copy by Hydra's own override code, as Hydra applies them after composing
(:func:`kexp.compat.hydra.apply_overrides`). Only the record of the command line in the
``hydra`` node (``hydra.overrides.task``, ``hydra.job.override_dirname``) is the first
job's; nothing kexp checks reads it. A value override that does not apply goes through
Hydra's full composition, which also gives the error its exact words.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import IntervalSweep, Override
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from kexp.compat.hydra import apply_overrides
from kexp.config.errors import ConfigError, KexpError


def sets_a_value(override: Override, groups: set[str]) -> bool:
    """Whether ``override`` sets (or adds) a value in the app's config, not a config group or Hydra's own."""
    return (
        not override.is_hydra_override()
        and override.package is None
        and not override.is_delete()
        and override.key_or_group not in groups
    )


def override_values(override: Override) -> list[str]:
    """The ``key=value`` texts one override stands for (one unless it is a sweep)."""
    if not override.is_sweep_override():
        return [str(override.input_line)]
    key = override.get_key_element()
    value: Any = override.value()
    if isinstance(value, IntervalSweep):  # continuous: the sweeper draws from it
        # Hydra's interval() is a float range; tagged int or cast int(interval(…)), an integer one
        # (as Optuna reads it: kexp.search.space)
        whole = isinstance(value.start, int) and isinstance(value.end, int)
        number = int if "int" in value.tags or whole else float
        return [f"{key}={number(end)}" for end in (value.start, value.end) if end is not None]
    try:
        values = [f"{key}={item}" for item in override.sweep_string_iterator()]
    except ValueError as err:  # range(0,3,0): Python's range refuses a step of 0
        raise ConfigError(f"{override.input_line} — {err}") from None
    if not values:  # range(3,0), glob(nothing*): Hydra would launch 0 jobs and exit 0
        raise ConfigError(f"{override.input_line} — gives no values, so the sweep would run no job")
    return values


def job_overrides(overrides: list[Override]) -> list[list[str]]:
    """Every job's overrides of a (multi)run: the product of each override's values."""
    return [list(job) for job in itertools.product(*(override_values(o) for o in overrides))]


class JobConfigs:
    """The composed config of each job of one command line (``overrides``, parsed)."""

    def __init__(self, compose: Callable[[list[str]], DictConfig], overrides: list[Override], groups: set[str]):
        self._compose = compose
        self._sets_value = [sets_a_value(override, groups) for override in overrides]
        self._compositions: dict[tuple[str, ...], DictConfig] = {}

    def config(self, job: list[str]) -> DictConfig:
        """The config of the job whose overrides are ``job`` (one text per override of the command line)."""
        fixed = tuple(text for text, value in zip(job, self._sets_value, strict=True) if not value)
        values = [text for text, value in zip(job, self._sets_value, strict=True) if value]
        if not values:
            return self._compose(job)
        if fixed not in self._compositions:
            self._compositions[fixed] = self._compose(list(fixed))
        cfg = copy.deepcopy(self._compositions[fixed])
        try:
            apply_overrides(cfg, OverridesParser.create().parse_overrides(values))
        except (HydraException, OmegaConfBaseException):
            return self._compose(job)  # (Hydra's composition, and its error, explained)
        return cfg


class DistinctJobs:
    """The jobs of a sweep seen so far, by their config: a job whose config is an earlier job's
    (``model=cnn,cnn``, ``optimizer.learning_rate=0.001,1e-3``) would train the same thing again,
    and the comparison would count the copy (as another seed where seeds are swept)."""

    def __init__(self, overrides: list[Override]):
        self._overrides = overrides
        self._seen: dict[str, list[str]] = {}

    def check(self, job: list[str], cfg: DictConfig) -> None:
        """A :class:`ConfigError` naming the override that repeats a configuration, if ``job`` does."""
        from kexp.config.flat import raw_leaves

        fingerprint = repr(sorted(raw_leaves(cfg).items()))
        earlier = self._seen.setdefault(fingerprint, job)
        if earlier is job:
            return
        differing = [at for at, (text, before) in enumerate(zip(job, earlier, strict=True)) if text != before]
        repeating = differing or [
            at for at, o in enumerate(self._overrides) if len(set(values := override_values(o))) < len(values)
        ]
        named = self._overrides[repeating[0]] if repeating else self._overrides[0]
        same = " ".join(job)
        if differing:  # (texts that differ, values that do not)
            same = f"{' '.join(earlier[at] for at in differing)} and {' '.join(job[at] for at in differing)}"
        raise ConfigError(
            f"{named.input_line} — the sweep would train one configuration twice ({same}) and count the copy in "
            "its comparison (as another seed where seeds are swept): give each value once (to repeat a "
            "configuration, sweep seed=0,1,2)"
        )


def naming_the_job(error: KexpError, job: list[str], overrides: list[Override]) -> KexpError:
    """``error`` (found in one job of a sweep) with the job's swept values added, unless it names
    them already: ``… (the sweep's job model=resnet20 regularization=sparse)``."""
    swept = [
        text for text, o in zip(job, overrides, strict=True) if o.is_sweep_override() and not o.is_hydra_override()
    ]
    message = str(error)
    if not swept or all(text in message for text in swept):
        return error
    named = copy.copy(error)
    named.args = (f"{message} (the sweep's job {' '.join(swept)})",)
    return named
