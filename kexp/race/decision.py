"""The race's decisions: after each round, who is out, and whether the race is over.

The design (``../shared/notes/racing.md`` §4; Bonferroni over the opponents, Lan–DeMets
alpha spending over the looks):

- looks after ``first_seeds`` seeds, then after every ``seeds_per_round`` more, up to
  ``max_seeds``; look ``k`` may spend ``alpha_k = f(n_k / max_seeds) - f(n_{k-1} / max_seeds)``
  of ``alpha``, with the Pocock-type spending function ``f(t) = alpha * ln(1 + (e - 1) t)``,
  so the looks together spend at most ``alpha``;
- at a look, the leader is the configuration still in the race with the best mean over the
  seeds all of them share; each other one is dropped when a one-sided paired t-test (paired
  by seed) says the leader is better with ``p <= alpha_k / (K - 1)``, ``K`` the configurations
  the race started with (never shrunk);
- the race stops when one configuration is left (``winner``), when every one left is within
  ``margin`` of the leader by a paired TOST at ``alpha_k / (K (K - 1) / 2)`` (``equivalent``),
  or at ``max_seeds`` (``max_seeds``).

Guarantee: a truly best configuration ``b`` is dropped at look ``k`` only if some opponent
``i`` (whose mean is not above ``b``'s) gets ``p <= alpha_k / (K - 1)``; each such event has
probability at most that under the paired t-test's normality, so by the union bound over
the ``K - 1`` opponents and the looks, ``P(b is ever dropped) <= alpha`` — whoever leads,
however the looks correlate, whatever else stops the race. With normal noise it holds
exactly; otherwise it is approximate, which the simulation (``tests/race``,
``benchmarks/race_simulation.py``) measures. A paired difference that does not vary (the
same gap on every seed, as accuracies on a small split can be) gets the sign test's
``p = 2**-n`` instead of an infinite t: valid for any symmetric null.

Values here are "higher is better": a minimised objective is negated by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from kexp.config.errors import ConfigError

#: Why a race stopped.
WINNER, EQUIVALENT, MAX_SEEDS = "winner", "equivalent", "max_seeds"


@dataclass(frozen=True)
class RaceSettings:
    """``hydra.sweeper.*`` of ``hydra/sweeper=race`` (``conf/hydra/sweeper/race.yaml``)."""

    alpha: float = 0.05
    max_seeds: int = 10
    first_seeds: int = 3
    seeds_per_round: int = 1
    margin: float = 0.0

    def check(self) -> None:
        """One-line ConfigError for a setting that cannot work."""
        if not 0 < self.alpha <= 0.5:
            raise ConfigError.bad_value("hydra.sweeper.alpha", self.alpha, "a probability in (0, 0.5], e.g. 0.05")
        if int(self.max_seeds) != self.max_seeds or self.max_seeds < 2:
            raise ConfigError.bad_value("hydra.sweeper.max_seeds", self.max_seeds, "an integer of at least 2")
        if int(self.first_seeds) != self.first_seeds or not 2 <= self.first_seeds <= self.max_seeds:
            raise ConfigError.bad_value(
                "hydra.sweeper.first_seeds",
                self.first_seeds,
                f"an integer from 2 (a paired test needs two seeds) to max_seeds ({self.max_seeds})",
            )
        if int(self.seeds_per_round) != self.seeds_per_round or self.seeds_per_round < 1:
            raise ConfigError.bad_value("hydra.sweeper.seeds_per_round", self.seeds_per_round, "an integer ≥ 1")
        if not self.margin >= 0:
            raise ConfigError.bad_value(
                "hydra.sweeper.margin", self.margin, "≥ 0 (0: never stop for equivalence), in the objective's units"
            )

    def looks(self) -> list[int]:
        """The seed counts after which the race looks: first_seeds, then every seeds_per_round more."""
        counts = list(range(self.first_seeds, self.max_seeds, self.seeds_per_round))
        return [*counts, self.max_seeds]

    def spent(self, look: int) -> float:
        """What look ``look`` (0-based) may spend of ``alpha`` (Pocock-type Lan–DeMets increments)."""
        looks = self.looks()
        before = looks[look - 1] / self.max_seeds if look else 0.0
        return _spending(self.alpha, looks[look] / self.max_seeds) - _spending(self.alpha, before)


def _spending(alpha: float, t: float) -> float:
    """The Pocock-type spending function ``alpha * ln(1 + (e - 1) t)``: 0 at t = 0, alpha at t = 1."""
    return alpha * math.log(1 + (math.e - 1) * t)


@dataclass
class Decision:
    """One look's outcome: the leader, who is dropped (with their p-values), and how it stands."""

    leader: int
    dropped: dict[int, float] = field(default_factory=dict)
    p_values: dict[int, float] = field(default_factory=dict)
    threshold: float = 0.0
    stop: str | None = None


def decide(values: np.ndarray, alive: list[int], look: int, settings: RaceSettings, started: int) -> Decision:
    """The decision at look ``look`` (0-based) on ``values`` (configurations × seeds, higher is better)
    for the configurations ``alive`` (row numbers), of ``started`` the race began with."""
    scores = values[alive]
    leader = alive[int(np.argmax(scores.mean(axis=1)))]
    spend = settings.spent(look)
    threshold = spend / max(started - 1, 1)
    decision = Decision(leader, threshold=threshold)
    others = [row for row in alive if row != leader]
    differences = values[leader] - values[others]
    decision.p_values = dict(zip(others, p_better(differences).tolist()))
    decision.dropped = {row: p for row, p in decision.p_values.items() if p <= threshold}
    left = [row for row in others if row not in decision.dropped]
    if not left:
        decision.stop = WINNER
    elif settings.margin > 0 and bool(
        np.all(p_equivalent(values[leader] - values[left], settings.margin) <= spend / (started * (started - 1) / 2))
    ):
        decision.stop = EQUIVALENT
    elif values.shape[1] >= settings.max_seeds:
        decision.stop = MAX_SEEDS
    return decision


#: Paired differences that vary less than this (relative to their size) do not vary: metrics are
#: float32 (about 7 digits), so the same gap on every seed differs in its last digits.
FLAT = 1e-6


def _moments(differences: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Seeds, mean and standard error of each row of paired differences (seeds along axis 1); the
    standard error is 0 where the differences do not vary (:data:`FLAT`)."""
    n = differences.shape[1]
    spread = differences.std(axis=1, ddof=1)
    size = np.maximum(np.abs(differences).max(axis=1), 1e-12)
    spread = np.where(spread <= FLAT * size, 0.0, spread)
    return n, differences.mean(axis=1), spread / math.sqrt(n)


def p_better(differences: np.ndarray) -> np.ndarray:
    """Per row, the one-sided p of a paired t-test that the mean difference is > 0 (the sign test's
    ``2**-n`` for a row that never varies and is positive, 1 if it is not)."""
    from scipy import stats

    n, mean, error = _moments(differences)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = stats.t.sf(mean / error, n - 1)
    flat = ~(error > 0)
    return np.where(flat, np.where(mean > 0, 0.5**n, 1.0), p)


def p_equivalent(differences: np.ndarray, margin: float) -> np.ndarray:
    """Per row, the TOST p that the mean paired difference lies within (-margin, margin) (the sign
    test's ``2**-n`` for a row that never varies and lies inside, 1 if it lies outside)."""
    from scipy import stats

    n, mean, error = _moments(differences)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.maximum(stats.t.sf((mean + margin) / error, n - 1), stats.t.cdf((mean - margin) / error, n - 1))
    flat = ~(error > 0)
    return np.where(flat, np.where(np.abs(mean) < margin, 0.5**n, 1.0), p)
