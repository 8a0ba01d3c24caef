"""The race's statistics: the error rate across looks measured on synthetic races with a known best
(the design and its guarantee: kexp/race/decision.py; the full table: benchmarks/race_simulation.py)."""

import numpy as np
import pytest

from kexp.config.errors import ConfigError
from kexp.race.decision import EQUIVALENT, MAX_SEEDS, WINNER, Decision, RaceSettings, decide, p_better
from kexp.race.simulation import drop_rate, outcomes

ALPHA = 0.05
SETTINGS = RaceSettings(alpha=ALPHA, max_seeds=10, first_seeds=3)


def unadjusted(values, alive, look, settings, started):
    """The rule racing tools use at every look without correcting for the looks or the opponents."""
    leader = alive[int(np.argmax(values[alive].mean(axis=1)))]
    others = [row for row in alive if row != leader]
    p = p_better(values[leader] - values[others])
    dropped = {row: float(q) for row, q in zip(others, p) if q <= settings.alpha}
    return Decision(leader, dropped, stop=WINNER if len(dropped) == len(others) else None)


@pytest.mark.parametrize(("k", "noise", "gap"), [(3, "normal", 0.0), (8, "normal", 0.0), (5, "skewed", 0.0),
                                                 (5, "t3", 0.5), (4, "normal", 2.0)])
def test_the_best_is_dropped_at_most_alpha_of_the_time_over_every_look(k, noise, gap):
    """1,000 races per case; configuration 0 the best (all equal: the least favourable case)."""
    means = [0.0] + [-gap] * (k - 1)
    found = outcomes(means, SETTINGS, noise, races=1000, seed=k)
    assert drop_rate(found) <= ALPHA, drop_rate(found)
    if gap >= 2:  # a clear best: the race finds it, and stops before the full grid's runs
        assert np.mean([o.best_won for o in found]) > 0.3  # (measured 0.375: the rest keep a tie)
        assert np.mean([o.runs for o in found]) < 0.95 * k * SETTINGS.max_seeds


def test_the_unadjusted_rule_fails_the_same_measurement():
    """The negative control: the harness sees the inflation the corrections prevent."""
    found = outcomes([0.0] * 5, SETTINGS, "normal", races=1000, seed=5, decide_look=unadjusted)
    assert drop_rate(found) > 4 * ALPHA


def test_the_looks_spend_alpha_and_no_more():
    looks = SETTINGS.looks()
    assert looks == [3, 4, 5, 6, 7, 8, 9, 10]
    spent = [SETTINGS.spent(k) for k in range(len(looks))]
    assert all(s > 0 for s in spent) and sum(spent) == pytest.approx(ALPHA)
    assert RaceSettings(max_seeds=7, first_seeds=3, seeds_per_round=2).looks() == [3, 5, 7]


def test_a_clear_loser_goes_a_tie_stays_and_equivalence_stops_the_race():
    rng = np.random.default_rng(0)
    seeds = rng.normal(0, 0.02, 5)
    values = np.array([0.90 + seeds, 0.60 + seeds + rng.normal(0, 0.002, 5), 0.90 + seeds + rng.normal(0, 0.002, 5)])
    decision = decide(values, [0, 1, 2], look=2, settings=RaceSettings(max_seeds=10), started=3)
    assert 1 in decision.dropped and 2 not in decision.dropped and decision.stop is None
    tied = decide(values[[0, 2]], [0, 1], look=2, settings=RaceSettings(max_seeds=10, margin=0.05), started=2)
    assert tied.stop == EQUIVALENT and not tied.dropped
    assert decide(values[[0, 2]], [0, 1], look=2, settings=RaceSettings(max_seeds=5), started=2).stop == MAX_SEEDS
    # the same gap on every seed (accuracies on a small split): the sign test's 2**-n, not an infinite t
    assert p_better(np.array([[0.05, 0.05, 0.05]]))[0] == pytest.approx(1 / 8)


@pytest.mark.parametrize(("settings", "key"), [
    (RaceSettings(alpha=0.7), "hydra.sweeper.alpha=0.7"),
    (RaceSettings(alpha=0), "hydra.sweeper.alpha=0"),
    (RaceSettings(max_seeds=1, first_seeds=1), "hydra.sweeper.max_seeds=1"),
    (RaceSettings(first_seeds=1), "hydra.sweeper.first_seeds=1"),
    (RaceSettings(first_seeds=12), "hydra.sweeper.first_seeds=12"),
    (RaceSettings(margin=-0.1), "hydra.sweeper.margin=-0.1"),
    (RaceSettings(seeds_per_round=0), "hydra.sweeper.seeds_per_round=0"),
])
def test_settings_out_of_range_are_one_line(settings, key):
    with pytest.raises(ConfigError, match=rf"^{key.replace('.', '[.]')} — "):
        settings.check()
