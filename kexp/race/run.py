"""One race: the grid's configurations, round by round of seeds, through Hydra's launcher.

Round 1 runs every configuration on the first ``first_seeds`` seeds; each later round adds
``seeds_per_round`` seeds to the configurations still in the race. Every configuration runs
the same seeds (``seed=<base>``, ``<base>+1``, ...), so a round's runs pair by seed. Jobs are
numbered in a fixed order (round, configuration in grid order, seed), so the same command
with the same ``hydra.sweep.dir`` continues a killed race: the runs that finished are
skipped (each job sees its finished run directory) and the decisions come out the same.

A run that does not end ok (failed, diverged) puts its configuration out of the race with
that reason: its objective is the worst there is.

The race's record: ``race.csv`` (a row per configuration per look: its mean, the p-value
against the leader, the threshold, in or out) and ``race.yaml`` (why it stopped, the winner or
the configurations left, the runs it took against the full grid) in the sweep directory.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from kexp.race.decision import EQUIVALENT, MAX_SEEDS, WINNER, RaceSettings, decide
from kexp.runs import atomic, layout

log = logging.getLogger("kexp")

#: What the race says when it stops, by reason.
VERDICTS = {
    WINNER: "one configuration is left",
    EQUIVALENT: "the configurations left are within the margin of each other",
    MAX_SEEDS: "max_seeds reached with more than one configuration left",
}


@dataclass
class Race:
    """A race in progress: the configurations (override lists), their values per seed, who is in."""

    configurations: list[list[str]]
    settings: RaceSettings
    base_seed: int = 0
    maximize: bool = True
    values: np.ndarray = field(init=False)
    alive: list[int] = field(init=False)
    swept: list[int] = field(init=False)  # (the positions of the overrides the grid varies)
    out: dict[int, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    jobs: int = 0

    def __post_init__(self) -> None:
        self.values = np.full((len(self.configurations), self.settings.max_seeds), np.nan)
        self.alive = list(range(len(self.configurations)))
        first = self.configurations[0]
        self.swept = [i for i in range(len(first)) if len({c[i] for c in self.configurations}) > 1]

    def label(self, row: int) -> str:
        """The configuration by the keys the grid sweeps (``model=cnn,optimizer=adam``)."""
        return ",".join(self.configurations[row][i] for i in self.swept)

    def jobs_of_round(self, seeds: range) -> list[tuple[int, int, list[str]]]:
        """``(configuration, seed index, overrides)`` of each job of a round, in the fixed order."""
        return [
            (row, index, [*self.configurations[row], f"seed={self.base_seed + index}"])
            for row in self.alive
            for index in seeds
        ]

    def record(self, row: int, index: int, value: float) -> None:
        """The objective of ``row``'s run on seed ``index`` (higher is better inside the race)."""
        value = float(value) if self.maximize else -float(value)
        if not math.isfinite(value):  # (failed or diverged: the worst value there is)
            self.out.setdefault(row, f"its run on seed {self.base_seed + index} did not end ok")
        self.values[row, index] = value

    def look(self, look: int, count: int) -> str | None:
        """The decision after ``count`` seeds; the reason the race stops, or None."""
        for row in [r for r in self.alive if r in self.out]:
            self.alive.remove(row)
            self.rows.append(self._row(look, count, row, "out", reason=self.out[row]))
        if not self.alive:
            return MAX_SEEDS
        if len(self.alive) == 1:
            self.rows.append(self._row(look, count, self.alive[0], "winner"))
            return WINNER
        decision = decide(self.values[:, :count], self.alive, look, self.settings, len(self.configurations))
        leading = "winner" if decision.stop == WINNER else "leader"
        for row in self.alive:
            p = decision.p_values.get(row)
            if row in decision.dropped:
                status = "dropped"
                reason = f"worse than {self.label(decision.leader)}: p {p:.3g} ≤ {decision.threshold:.3g}"
            else:
                status, reason = (leading if row == decision.leader else "in"), ""
            self.rows.append(self._row(look, count, row, status, p, decision.threshold, reason))
        self.alive = [row for row in self.alive if row not in decision.dropped]
        return decision.stop

    def _row(
        self, look: int, count: int, row: int, status: str, p: float | None = None, threshold=None, reason: str = ""
    ) -> dict[str, Any]:
        done = self.values[row, :count]
        mean = float(np.nanmean(done)) if np.isfinite(done).any() else math.nan
        return {
            "look": look + 1,
            "seeds": count,
            "configuration": self.label(row),
            "mean": mean if self.maximize else -mean,
            "p_value": p,
            "threshold": threshold,
            "status": status,
            "reason": reason,
        }


def race_settings(sweeper: dict[str, Any]) -> RaceSettings:
    """The race's settings from the sweeper's node (``hydra.sweeper``, resolved), checked (a key
    nothing reads, ``+hydra.sweeper.alpah=0.1``, is one line)."""
    from kexp.search.plugin_spellings import check_sweeper_keys, sweeper_keys

    check_sweeper_keys(sweeper, sweeper_keys("race"), "the race")
    defaults = RaceSettings()
    settings = RaceSettings(**{key: _number(sweeper, key, value) for key, value in vars(defaults).items()})
    settings.check()
    return settings


def _number(sweeper: dict[str, Any], key: str, default: float) -> Any:
    """``hydra.sweeper.<key>``, a finite number (``max_seeds=abc`` was a traceback); its range is
    :meth:`RaceSettings.check`'s."""
    value = sweeper.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        from kexp.config.errors import ConfigError

        raise ConfigError.bad_value(f"hydra.sweeper.{key}", value, "a number")
    return float(value) if isinstance(default, float) else value


def start_race(sweeper: dict[str, Any], arguments: list[str], launcher: Any, sweep_dir: Path) -> dict[str, Any]:
    """The race the sweeper's node (``hydra.sweeper``, resolved) and the command line's sweeps ask for, run."""
    from kexp.race.grid import race_grid
    from kexp.runs.record import objective_direction, objective_metric

    settings = race_settings(sweeper)
    objective = sweeper.get("objective") or "auto"
    if isinstance(objective, (list, tuple)):
        from kexp.config.errors import ConfigError

        raise ConfigError.bad_value("objective", list(objective), "a race takes one objective")
    task = str(sweeper.get("task") or "multiclass")
    maximize = objective_direction(objective_metric(str(objective), task), task) == "maximize"
    race = Race(race_grid(arguments, settings), settings, int(sweeper.get("seed") or 0), maximize)
    return run_race(race, launcher, sweep_dir)


def run_race(race: Race, launcher: Any, sweep_dir: Path) -> dict[str, Any]:
    """Run ``race`` to its end through ``launcher``; write and return its summary (``race.yaml``)."""
    settings, seen, stop = race.settings, 0, None
    for look, count in enumerate(settings.looks()):
        jobs = race.jobs_of_round(range(seen, count))
        log.info("race round %d: %d configurations on seeds %d-%d", look + 1, len(race.alive), seen, count - 1)
        returns = launcher.launch([overrides for _, _, overrides in jobs], initial_job_idx=race.jobs)
        race.jobs += len(jobs)
        for (row, index, _), ret in zip(jobs, returns):
            race.record(row, index, _value(ret))
        seen = count
        stop = race.look(look, count)
        atomic.write_csv(sweep_dir / layout.RACE_CSV, pd.DataFrame(race.rows))
        if stop is not None:
            break
    summary = _summary(race, str(stop), seen)
    atomic.write_text(sweep_dir / layout.RACE_YAML, yaml.safe_dump(summary, sort_keys=False, allow_unicode=True))
    print(
        f"kexp: race: {summary['verdict']} after {seen} seeds; {summary['runs']} runs of "
        f"{summary['full_grid_runs']} ({sweep_dir / layout.RACE_YAML})"
    )
    return summary


def _value(ret: Any) -> float:
    """A job's objective (the worst there is when the job raised: a failure is out of the race)."""
    try:
        value = ret.return_value
    except Exception:  # (Hydra's JobReturn re-raises the job's own error)
        return math.nan
    if isinstance(value, Sequence):
        raise ValueError("a race takes one objective")
    return float(value) if value is not None else math.nan


def _summary(race: Race, stop: str, seeds: int) -> dict[str, Any]:
    settings = race.settings
    left = [race.label(row) for row in race.alive]
    confidence = 1 - settings.alpha
    return {
        "stop": stop,
        "verdict": VERDICTS.get(stop, stop) + (f": {left[0]}" if stop == WINNER and left else ""),
        "left": left,
        "confidence": f"the configurations left include the best with probability ≥ {confidence:g} "
        f"(alpha {settings.alpha:g} over every look)",
        "seeds": seeds,
        "runs": race.jobs,
        "full_grid_runs": len(race.configurations) * settings.max_seeds,
        "settings": {
            "alpha": settings.alpha,
            "max_seeds": settings.max_seeds,
            "first_seeds": settings.first_seeds,
            "seeds_per_round": settings.seeds_per_round,
            "margin": settings.margin,
        },
    }
