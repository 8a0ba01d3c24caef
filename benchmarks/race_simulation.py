"""The race's error rate and savings on synthetic outcomes with a known best: the full table.

    python benchmarks/race_simulation.py [--races 2000]

For each cell (configurations K, noise, gap between the best and the rest in standard
deviations of the noise; seeds shared across configurations with a seed effect twice the
noise): the share of races that dropped the true best (with its Clopper-Pearson 95 % upper
bound; kexp's guarantee is <= alpha), how often the best won alone, and the runs the race took
against the full grid's K x max_seeds. The last rows are the negative control: the unadjusted
rule (a paired t-test at alpha at every look) on the all-equal cells. Defaults: kexp's (alpha
0.05, max_seeds 10, first_seeds 3, one seed a round).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kexp.race.decision import Decision, RaceSettings, p_better
from kexp.race.simulation import NOISES, drop_rate, outcomes


def unadjusted(values, alive, look, settings, started):
    """Drop whoever a paired t-test at alpha calls worse than the leader, at every look."""
    leader = alive[int(np.argmax(values[alive].mean(axis=1)))]
    others = [row for row in alive if row != leader]
    dropped = {
        row: float(p) for row, p in zip(others, p_better(values[leader] - values[others])) if p <= settings.alpha
    }
    return Decision(leader, dropped, stop="winner" if len(dropped) == len(others) else None)


def upper_bound(count: int, total: int) -> float:
    """Clopper-Pearson 95 % upper bound of a proportion."""
    return 1.0 if count == total else float(stats.beta.ppf(0.975, count + 1, total - count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--races", type=int, default=2000)
    args = parser.parse_args()
    settings = RaceSettings()
    print(
        f"alpha {settings.alpha}, max_seeds {settings.max_seeds}, first_seeds {settings.first_seeds}, "
        f"{args.races} races a cell"
    )
    print(
        f"{'rule':<10} {'K':>2} {'noise':<7} {'gap':>4} {'P(drop best)':>12} {'CP95 upper':>10} "
        f"{'best wins':>9} {'runs':>6} {'of':>4} {'ratio':>6}"
    )
    cells = [(k, noise, gap) for k in (3, 5, 8) for noise in NOISES for gap in (0.0, 0.5, 1.0, 2.0)]
    worst = 0.0
    for rule, decide_look, chosen in (
        ("kexp", None, cells),
        ("unadjusted", unadjusted, [c for c in cells if not c[2]]),
    ):
        for k, noise, gap in chosen:
            means = [0.0] + [-gap] * (k - 1)
            kwargs = {"decide_look": decide_look} if decide_look else {}
            found = outcomes(means, settings, noise, races=args.races, seed=k * 100 + int(gap * 10), **kwargs)
            dropped = sum(o.dropped_best for o in found)
            bound = upper_bound(dropped, len(found))
            worst = max(worst, bound) if rule == "kexp" else worst
            runs = float(np.mean([o.runs for o in found]))
            full = k * settings.max_seeds
            print(
                f"{rule:<10} {k:>2} {noise:<7} {gap:>4.1f} {drop_rate(found):>12.4f} {bound:>10.4f} "
                f"{np.mean([o.best_won for o in found]):>9.3f} {runs:>6.1f} {full:>4} {runs / full:>6.3f}"
            )
    print(f"kexp's largest CP95 upper bound: {worst:.4f} (alpha {settings.alpha})")


if __name__ == "__main__":
    main()
