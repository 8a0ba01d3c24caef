"""Search, then confirm: the K best trials again with S fresh seeds, ranked by their mean.

A search picks its best trial out of many noisy ones, so the best search score
is biased upwards (the winner's curse). ``hparams_search.confirm.top_k=K
hparams_search.confirm.seeds=S`` re-runs the K best COMPLETE trials with seeds
``seed+1 … seed+S`` (none the search used) into the same sweep directory, after
the search's jobs, and ranks the finalists by the mean of their confirmation
runs only, with a 95 % interval, Welch against the best (Holm) and the tied
group (:mod:`kexp.reporting.compare.statistics`). Each finalist's search score
stands beside its confirmed mean (``search_value``, ``drop``).

Files: ``confirm.csv`` (one row per confirmation run: trial, seed, job, run_dir,
status, value; written as a plan before the runs start, so a rerun into the
sweep directory resumes the same jobs) ``confirm_ranking.csv`` and ``confirm.md`` (the ranking).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from optuna.trial import TrialState

from kexp.reporting.compare.statistics import claim_lines, seed_statistics
from kexp.reporting.compare.table import to_markdown
from kexp.runs.atomic import write_csv, write_text
from kexp.runs.layout import CONFIRM_FILE, CONFIRM_MD, CONFIRM_RANKING
from kexp.runs.record import RunRecord, objective_metric, smaller_is_better

log = logging.getLogger("kexp")


def finalists_of(study, top_k: int) -> list:
    """The ``top_k`` best COMPLETE trials with a finite value, best first."""
    import math

    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if math.isfinite(t.value)]
    maximise = study.direction.name == "MAXIMIZE"
    return sorted(complete, key=lambda t: t.value, reverse=maximise)[:top_k]


def confirmation_plan(searcher, finalists: list) -> pd.DataFrame:
    """One row per confirmation run (trial, seed, job, run_dir, search_value); the plan already in the
    sweep directory when it asks for the same runs (a rerun resumes them)."""
    sweep_dir, settings = searcher.sweep_dir, searcher.settings
    seeds = [(settings.seed or 0) + 1 + i for i in range(settings.confirm_seeds)]
    wanted = [(t.number, s) for t in finalists for s in seeds]
    path = sweep_dir / CONFIRM_FILE
    if path.is_file():
        plan = pd.read_csv(path)
        if list(zip(plan["trial"], plan["seed"])) == wanted:
            return plan[["trial", "seed", "job", "run_dir", "search_value"]]
    used = [t.user_attrs.get("kexp", {}).get("job", -1) for t in searcher.my_trials()]
    used += [int(p.name) for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()]
    first = max(used, default=-1) + 1
    values = {t.number: t.value for t in finalists}
    rows = [
        {"trial": n, "seed": s, "job": first + i, "run_dir": str(sweep_dir / str(first + i)), "search_value": values[n]}
        for i, (n, s) in enumerate(wanted)
    ]
    return pd.DataFrame(rows)


def confirm_finalists(searcher) -> pd.DataFrame | None:
    """Run the confirmation, write ``confirm.csv`` and ``confirm.md``; the ranking (best first)."""
    settings, study = searcher.settings, searcher.study
    finalists = finalists_of(study, settings.confirm_top_k)
    if not finalists:
        log.warning("confirm: no trial completed; nothing to confirm")
        return None
    plan = confirmation_plan(searcher, finalists)
    write_csv(searcher.sweep_dir / CONFIRM_FILE, plan)
    by_number = {t.number: t for t in finalists}
    overrides = [
        [*_without_seed(searcher.space.overrides(by_number[row.trial].params)), f"seed={row.seed}"]
        for row in plan.itertuples()
    ]
    log.info(
        "confirm: trials %s again with seeds %s (jobs %d…%d)",
        ", ".join(str(t.number) for t in finalists),
        ", ".join(str(s) for s in sorted(set(plan["seed"]))),
        plan["job"].min(),
        plan["job"].max(),
    )
    searcher.launcher.launch(overrides, initial_job_idx=int(plan["job"].min()))
    metric = objective_metric(settings.objectives[0], settings.task)
    records = [RunRecord.read(Path(d)) for d in plan["run_dir"]]
    plan["status"] = [r.status if r is not None else "unfinished" for r in records]
    plan["value"] = [r.value(metric) if r is not None and r.ok else float("nan") for r in records]
    write_csv(searcher.sweep_dir / CONFIRM_FILE, plan)
    return rank_finalists(plan, finalists, metric, searcher.sweep_dir)


def rank_finalists(plan: pd.DataFrame, finalists: list, metric: str, sweep_dir: Path) -> pd.DataFrame | None:
    """The finalists ranked by their confirmed mean: ``confirm.md``; the table (with ``params``)."""
    smaller = smaller_is_better(metric)
    stats = seed_statistics(plan.rename(columns={"value": metric}), ["trial"], metric, smaller)
    if stats is None:
        write_text(
            sweep_dir / CONFIRM_MD, f"# Confirmation\n\nNot enough finished confirmation runs to rank by {metric}.\n"
        )
        return None
    by_number = {t.number: t for t in finalists}
    stats.insert(1, "search_value", [by_number[int(n)].value for n in stats["trial"]])
    stats.insert(2, "drop", stats["search_value"] - stats["mean"])
    stats["params"] = [by_number[int(n)].params for n in stats["trial"]]
    shown = stats.drop(columns=["params"])
    write_csv(sweep_dir / CONFIRM_RANKING, stats.assign(params=stats["params"].map(str)))
    lines = claim_lines(stats, ["trial"], metric)
    text = [
        f"# Confirmation: the {len(finalists)} best trials, each with {plan['seed'].nunique()} fresh seeds\n",
        "Ranked by the mean of the confirmation runs only; `search_value` is the trial's score in the "
        "search, `drop` how much of it did not hold (the winner's curse).\n",
        *[f"{line}\n" for line in lines],
        to_markdown(shown),
        "\n## Parameters\n",
        *[f"- trial {int(row.trial)}: {row.params}" for row in stats.itertuples()],
    ]
    write_text(sweep_dir / CONFIRM_MD, "\n".join(text) + "\n")
    for line in lines:
        log.info("confirm: %s", line)
    return stats


def _without_seed(overrides: list[str]) -> list[str]:
    return [o for o in overrides if o.lstrip("+~").split("=", 1)[0] != "seed"]
