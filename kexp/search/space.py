"""The search space: Hydra's sweep overrides as Optuna distributions, and a trial back as overrides.

Users write the search space as Hydra overrides, in ``hydra.sweeper.params`` or
on the command line, with Hydra's own sweep grammar (read by Hydra's public
``OverridesParser``):

==========================================  ======================================
``choice(32, 64, 128)`` / ``a,b``           ``CategoricalDistribution`` (lists: their text, ``[8,16]``)
``range(1, 10)`` / ``range(0.5, 5.5, 1)``   ``IntDistribution(1, 10)`` / ``FloatDistribution(0.5, 5.5, step=1)``:
                                            both ends included, as Hydra's Optuna plugin reads it
``shuffle(range(16, 64, 16))``              ``CategoricalDistribution`` of the range's values (16, 32, 48)
``interval(0.0, 0.6)``                      ``FloatDistribution``
``int(interval(16, 64))``                   ``IntDistribution`` (integer ends: the plugin's rule)
``tag(log, interval(1e-4, 0.1))``           ``FloatDistribution(log=True)`` (integer ends: ``IntDistribution``)
``tag(int, interval(1, 64))``               ``IntDistribution`` (``log`` may be added)
anything else (``trainer.epochs=3``)        fixed: passed to every trial as written
==========================================  ======================================

A grid (``hparams_search.sampler=grid``) takes each discrete key's values as Hydra's sweep
lists them (a range without its end, as the plugin's grid does too).

A command-line override of a key replaces that key's entry in ``params``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, Override, RangeSweep
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from kexp.config.errors import ConfigError


@dataclass
class SearchSpace:
    """What a trial samples (``distributions``) and what every trial gets as it is (``fixed``)."""

    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    fixed: list[str] = field(default_factory=list)
    grid: dict[str, list] = field(default_factory=dict)  # the same keys as lists, where they are discrete
    #: keys whose choices are lists or mappings: Optuna gets (and shows) their override text, ``[8,16]``
    as_text: set[str] = field(default_factory=set)

    def overrides(self, params: dict) -> list[str]:
        """The overrides of one trial: its sampled ``params`` (``key=value``), then the fixed ones."""
        sampled = (f"{k}={v if k in self.as_text else _as_override_value(v)}" for k, v in params.items())
        return [*sampled, *self.fixed]


def search_space(params: dict | None, arguments: list[str]) -> SearchSpace:
    """The space of ``hydra.sweeper.params`` (``{key: override value}``) and the command line's overrides."""
    texts = {str(key): f"{key}={value}" for key, value in (params or {}).items()}
    parser = OverridesParser.create()
    for override in parser.parse_overrides(list(arguments)):
        texts[override.get_key_element()] = str(override.input_line)
    space = SearchSpace()
    for override in parser.parse_overrides(list(texts.values())):
        key = override.get_key_element()
        if not override.is_sweep_override():
            space.fixed.append(str(override.input_line))
            continue
        if override.is_choice_sweep() and any(isinstance(c, (list, dict)) for c in override.sweep_iterator()):
            space.distributions[key] = CategoricalDistribution(list(override.sweep_string_iterator()))
            space.as_text.add(key)
        else:
            space.distributions[key] = distribution(override)
        if override.is_discrete_sweep():
            chosen = space.distributions[key]
            space.grid[key] = list(chosen.choices) if isinstance(chosen, CategoricalDistribution) else _steps(override)
    return space


def distribution(override: Override) -> BaseDistribution:
    """The Optuna distribution of one sweep override (ConfigError for one Optuna cannot sample)."""
    key, value = override.get_key_element(), override.value()
    if override.is_choice_sweep() or isinstance(value, ChoiceSweep):
        return CategoricalDistribution(list(override.sweep_iterator()))  # type: ignore[arg-type]
    if isinstance(value, RangeSweep):
        values = _steps(override)
        if not values or value.start is None or value.stop is None:
            raise ConfigError.bad_value(key, override.get_value_string(), "a range with at least one value")
        if value.shuffle:  # (shuffle(range(…)): its values, in no order)
            return CategoricalDistribution(values)
        start, stop, step = value.start, value.stop, value.step
        if all(isinstance(v, int) for v in (start, stop, step)):
            return IntDistribution(int(start), int(stop), step=int(step))
        return FloatDistribution(float(start), float(stop), step=float(step))
    if isinstance(value, IntervalSweep):
        low, high, log = value.start, value.end, "log" in value.tags
        if low is None or high is None or not low < high or (log and low <= 0):
            allowed = (
                "interval(low, high) with 0 < low < high for log" if log else "interval(low, high) with low < high"
            )
            raise ConfigError.bad_value(key, override.get_value_string(), allowed)
        if "int" in value.tags or (isinstance(low, int) and isinstance(high, int)):
            return IntDistribution(int(low), int(high), log=log)
        return FloatDistribution(float(low), float(high), log=log)
    raise ConfigError.bad_value(
        key, override.get_value_string(), "choice(…), range(…), interval(…) or tag(log, interval(…))"
    )


def _steps(override: Override) -> list:
    """The values of a range or choice sweep, in order."""
    return list(override.sweep_iterator())


def _as_override_value(value) -> str:
    """``value`` as Hydra reads it back: numbers and booleans as they print, strings quoted when needed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str) and any(c in value for c in " ,()[]{}=:'\"\\"):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)
