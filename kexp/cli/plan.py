"""``python -m kexp ... --plan``: what the command would do, with numbers, and nothing done.

Every job is composed and checked as the command would (the preflight: a bad config is its
one line, exit 2); then each configuration's model is built — never trained — to count its
parameters and MACs per sample and the size of its files, and the time per job is taken from
earlier finished runs of the same configuration under the output root (any seed). Printed: the
jobs (a sweep's grid, a race's first round and its most, a search's trials), a row per
configuration, and the totals; no run or sweep directory is created.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kexp.config.errors import ConfigError, KexpError

if TYPE_CHECKING:
    from omegaconf import DictConfig

#: The flag, taken off the command line before Hydra sees it.
FLAG = "--plan"


@dataclass(frozen=True)
class Row:
    """One configuration of the plan."""

    label: str
    parameters: int
    macs: int
    disk_bytes: int
    seconds: float  # per job, from earlier runs (nan: none found)
    earlier: int  # the earlier runs it is taken from


def main(argv: list[str]) -> int:
    """Print the plan of ``argv`` (the command line without ``--plan``); the exit status."""
    from kexp.cli.preflight import parse_args, preflight

    jobs: list[tuple[list[str], DictConfig]] = []
    try:
        preflight(argv, jobs)
        args = parse_args(argv)
        if not jobs:
            raise ConfigError(f"{FLAG} — plans a run or a sweep; give key=value overrides (not --help or --cfg)")
        from kexp.runs.estimate import finished_runs

        finished = finished_runs()  # (the output root read once for every configuration)
        rows = [describe(cfg, label(job, jobs), finished) for job, cfg in jobs]
    except KexpError as err:
        print(err.one_line(), file=sys.stderr)
        return 2
    print(plan_text(rows, jobs[-1][1], args.multirun))
    return 0


def label(job: list[str], jobs: list[tuple[list[str], DictConfig]]) -> str:
    """The job's overrides that differ between the jobs (all of them for a single run)."""
    varying = [o for o in job if len(jobs) > 1 and any(o not in other for other, _ in jobs)]
    return ",".join(varying or [o for o in job if not o.startswith("hydra")]) or "(the defaults)"


def describe(cfg: DictConfig, name: str, finished: list) -> Row:
    """Build the model of ``cfg`` (not trained) and look for earlier runs of it."""
    from kexp.config.run_settings import run_settings
    from kexp.runs.estimate import earlier_seconds, files_bytes, model_of

    settings = run_settings(cfg)
    model = model_of(settings)
    from kexp.config.flat import flat_config
    from kexp.reporting.macs import total_macs

    seconds, earlier = earlier_seconds(flat_config(cfg), int(settings.trainer.epochs), finished)
    return Row(
        name, int(model.count_params()), total_macs(model), files_bytes(model, settings.trainer), seconds, earlier
    )


def plan_text(rows: list[Row], cfg: DictConfig, multirun: bool) -> str:
    """The plan as the terminal shows it."""
    from kexp.config.run_settings import is_search, race_sweeper
    from kexp.runs.disk import human

    race, searched = race_sweeper(cfg), multirun and is_search(cfg)
    if race is not None:
        first, most = len(rows) * int(race["first_seeds"]), len(rows) * int(race["max_seeds"])
        head = f"a race of {len(rows)} configurations: {first} jobs in its first round, at most {most}"
        counts = (first, most)
    elif searched:
        searched_jobs, head = search_jobs(cfg)
        counts = (searched_jobs, searched_jobs)
    else:
        head = f"{'a sweep of ' if multirun else ''}{len(rows)} job{'s' if len(rows) != 1 else ''}"
        counts = (len(rows), len(rows))
    width = max(len("configuration"), *(len(r.label) for r in rows))
    lines = [
        f"kexp plan: {head}; nothing is run, no directory is made",
        f"  {'configuration':<{width}}  {'parameters':>12}  {'MACs/sample':>13}  {'files':>8}  training time a job",
    ]
    for row in rows:
        runs = f"{row.earlier} earlier run{'s' if row.earlier != 1 else ''}"
        time = f"{_duration(row.seconds)} (mean of {runs})" if row.earlier else "no earlier run"
        lines.append(
            f"  {row.label:<{width}}  {row.parameters:>12,}  {row.macs:>13,}  {human(row.disk_bytes):>8}  {time}"
        )
    per_job_disk = sum(r.disk_bytes for r in rows) / len(rows)
    known = [r.seconds for r in rows if r.earlier]
    disk = " to ".join(dict.fromkeys(human(per_job_disk * c) for c in counts))
    total = (
        " to ".join(dict.fromkeys(_duration(sum(known) / len(known) * c) for c in counts))
        if len(known) == len(rows)
        else "unknown (not every configuration has an earlier run; run one job to learn it)"
    )
    jobs = f"{counts[0]}{f' to {counts[1]}' if counts[1] != counts[0] else ''} job{'s' if counts[1] != 1 else ''}"
    lines.append(f"in all: {jobs}, about {disk} of run directories, training time {total}")
    return "\n".join(lines)


def search_jobs(cfg: DictConfig) -> tuple[int, str]:
    """A search's jobs at the most, and the plan's words for them: ``hydra.sweeper.n_trials`` trials,
    no more than ``hparams_search.budget.trials`` (the study's trials count against it), then
    ``confirm.top_k`` of them run again with ``confirm.seeds`` seeds each."""
    from kexp.config.run_settings import search_size

    trials, budget, top_k, seeds = search_size(cfg)
    words = f"a search of {trials} trials"
    if budget is not None and budget < trials:
        trials = budget
        words = f"a search of at most {trials} trials (hparams_search.budget.trials, the study's own counted)"
    finalists = min(top_k, trials)
    if finalists:
        words += f", then its {finalists} best confirmed with {seeds} seeds each ({finalists * seeds} runs)"
    return trials + finalists * seeds, f"{words} (the composed config's model shown; the trials vary it)"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    return (
        f"{seconds:.0f} s"
        if seconds < 120
        else f"{seconds / 60:.1f} min"
        if seconds < 7200
        else f"{seconds / 3600:.1f} h"
    )


def strip_flag(argv: list[str]) -> list[str] | None:
    """``argv`` without ``--plan`` when it asks for a plan, else None."""
    return [a for a in argv if a != FLAG] if FLAG in argv else None
