"""Races on synthetic outcomes with a known best: how often the race drops it, and what it saves.

``y[i, s] = means[i] + b[s] + scale[i] * e[i, s]``: a seed effect ``b`` shared by every
configuration (the pairing), noise ``e`` normal, heavy-tailed (Student t with 3 degrees of
freedom, scaled to unit variance) or skewed (a run that fails now and then: 10 % of the best
configuration's seeds 3 standard deviations low). Configuration 0 is the designated best: its
mean is the highest (all equal: the least favourable case). The same :func:`race` the sweeper
runs on real runs decides here (:func:`kexp.race.decision.decide`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kexp.race.decision import RaceSettings, decide

NOISES = ("normal", "t3", "skewed")


@dataclass(frozen=True)
class Outcome:
    """What one race did: whether it dropped configuration 0, whether 0 won alone, the seeds it ran."""

    dropped_best: bool
    best_won: bool
    runs: int
    stop: str


def race(values: np.ndarray, settings: RaceSettings, decide_look: Callable = decide) -> Outcome:
    """Race the configurations of ``values`` (configurations × max_seeds, higher is better), revealing
    seeds look by look as the sweeper runs them."""
    started = values.shape[0]
    alive = list(range(started))
    runs, seen, stop = 0, 0, None
    for look, count in enumerate(settings.looks()):
        runs += len(alive) * (count - seen)
        seen = count
        decision = decide_look(values[:, :count], alive, look, settings, started)
        alive = [row for row in alive if row not in decision.dropped]
        stop = decision.stop
        if stop is not None:
            break
    return Outcome(0 not in alive, alive == [0], runs, str(stop))


def outcomes(
    means: Sequence[float],
    settings: RaceSettings,
    noise: str = "normal",
    races: int = 1000,
    seed: int = 0,
    decide_look: Callable = decide,
) -> list[Outcome]:
    """``races`` races of configurations with these ``means`` (in standard deviations of the noise)."""
    rng = np.random.default_rng(seed)
    k, n = len(means), settings.max_seeds
    found = []
    for _ in range(races):
        e = rng.standard_t(3, size=(k, n)) / np.sqrt(3.0) if noise == "t3" else rng.standard_normal((k, n))
        if noise == "skewed":
            e[0] -= 3.0 * (rng.random(n) < 0.1)
        values = np.asarray(means, dtype=float)[:, None] + 2.0 * rng.standard_normal(n)[None, :] + e
        found.append(race(values, settings, decide_look))
    return found


def drop_rate(found: list[Outcome]) -> float:
    """The share of races that dropped the designated best."""
    return sum(o.dropped_best for o in found) / len(found)
