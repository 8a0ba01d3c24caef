"""The search loop of ``hparams_search=optuna``: Optuna's ask-and-tell over Hydra's launcher.

A *searcher* is one sweep directory: it runs ``hydra.sweeper.n_trials`` trials of
a study kept in ``hparams_search.storage``, each tagged with where it ran (user
attribute ``kexp``: ``{sweep_dir, job, run_dir}``, set in one write). So

- the same command again (a new sweep directory) continues the study with
  ``n_trials`` more trials, informed by all before;
- several searchers (processes, machines) with the same storage and study name
  work on one study; the storage hands out each trial once;
- a searcher killed and rerun into its sweep directory (``hydra.sweep.dir=…``)
  first finishes the trials it left running — at their own job numbers, so each
  run resumes from its backup — then runs the rest of its ``n_trials``;
- on an RDB storage each running trial has a heartbeat: when a searcher dies,
  any other searcher of the study fails its trials once the grace period has
  passed, and Optuna's ``RetryHeartbeatStaleTrialCallback`` queues each again
  (a retry of a trial of this sweep directory resumes that trial's run);
- each trial's run reports its objective every epoch
  (:mod:`kexp.search.trial_reports`); a pruned run is told ``PRUNED``;
- ``hparams_search.budget`` (trials in the study, minutes of this search) stops
  asking for trials; what runs finishes and everything is written.

Only Hydra's public plugin API (a ``Sweeper`` with a launcher) and Optuna's
public API are used. At the end: ``study.csv`` (every trial of the study),
``optimization_results.yaml``, the parameter importances and, with several
objectives, the Pareto front (:mod:`kexp.search.study_files`); with
``hparams_search.confirm.top_k`` the finalists re-run with fresh seeds
(:mod:`kexp.search.confirm`); then Hydra's end-of-sweep callbacks compare the runs.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from kexp.runs.record import RunRecord
from kexp.search.settings import SearchSettings
from kexp.search.space import SearchSpace
from kexp.search.study_table import ATTRIBUTE

log = logging.getLogger("kexp")


@dataclass
class Searcher:
    """One sweep directory's share of a study: what it launches, how it tells the study."""

    study: optuna.Study
    space: SearchSpace
    settings: SearchSettings
    sweep_dir: Path
    launcher: Any
    n_trials: int
    n_jobs: int = 1
    max_failure_rate: float = 0.0
    storage: Any = None  # the storage the study was opened on (heartbeats, trial ids)
    storage_url: str = ""  # its URL, handed to every trial's run with the study's name
    started: float = field(default_factory=time.monotonic)
    said: str = ""  # the budget's last word, logged once

    def run(self) -> None:
        """Finish this sweep directory's unfinished trials, then run the rest of ``n_trials``."""
        if self.heartbeat_interval:
            optuna.storages.fail_stale_trials(self.study)
        mine = self.my_trials()
        for frozen in [t for t in mine if t.state == TrialState.RUNNING]:  # (this dir is locked: its searcher died)
            job = frozen.user_attrs[ATTRIBUTE]["job"]
            log.info("resuming trial %d (job %d)", frozen.number, job)
            self.launch([(self.live_trial(frozen.number), job)])
        jobs = {t.user_attrs[ATTRIBUTE]["job"] for t in mine}
        next_job = max(jobs, default=-1) + 1
        to_go = self.n_trials - len(jobs)
        while to_go > 0 and not self.out_of_budget():
            if self.heartbeat_interval:
                optuna.storages.fail_stale_trials(self.study)
            batch, new = [], 0
            for _ in range(min(to_go, self.n_jobs)):
                if self.out_of_budget():
                    break
                trial = self.study.ask(fixed_distributions=self.space.distributions)
                job = self.retried_here(trial)
                if job is None:
                    job, new = next_job + new, new + 1
                trial.set_user_attr(  # (one write: all or nothing)
                    ATTRIBUTE, {"sweep_dir": str(self.sweep_dir), "job": job, "run_dir": str(self.sweep_dir / str(job))}
                )
                batch.append((trial, job))
            if not batch:
                break
            self.launch(batch)
            next_job += new
            to_go -= new

    def my_trials(self) -> list:
        """The trials of the study this sweep directory ran (or runs)."""
        return [
            t
            for t in self.study.get_trials(deepcopy=False)
            if t.user_attrs.get(ATTRIBUTE, {}).get("sweep_dir") == str(self.sweep_dir)
        ]

    def retried_here(self, trial: optuna.trial.Trial) -> int | None:
        """The job of this sweep directory that ``trial`` retries (Optuna's heartbeat retry), else None."""
        frozen = self.study.get_trials(deepcopy=False)[trial.number]
        original = optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(frozen)
        if original is None:
            return None
        place = self.study.get_trials(deepcopy=False)[original].user_attrs.get(ATTRIBUTE, {})
        log.info("trial %d retries trial %d (its searcher stopped beating)", trial.number, original)
        return place.get("job") if place.get("sweep_dir") == str(self.sweep_dir) else None

    def out_of_budget(self) -> bool:
        """Whether ``hparams_search.budget`` (or a finished grid) says: no more trials (said once)."""
        reason = self._budget_spent()
        if reason and reason != self.said:
            log.info(reason)
            self.said = reason
        return bool(reason)

    def _budget_spent(self) -> str:
        """Why no more trials are asked for ("" while there is budget left)."""
        trials = [t for t in self.study.get_trials(deepcopy=False) if t.state != TrialState.WAITING]
        waiting = len(self.study.get_trials(deepcopy=False)) - len(trials)
        if self.settings.budget_trials is not None and len(trials) >= self.settings.budget_trials:
            return f"budget: the study has {len(trials)} trials (hparams_search.budget.trials)"
        minutes = self.settings.budget_minutes
        if minutes is not None and time.monotonic() - self.started >= 60 * minutes:
            return f"budget: {minutes:g} minutes have passed (hparams_search.budget.minutes)"
        if self.settings.sampler == "grid" and not waiting and len(trials) >= grid_size(self.space):
            return f"grid search: all {grid_size(self.space)} combinations tried"
        return ""

    @property
    def heartbeat_interval(self) -> int | None:
        """Seconds between heartbeats of the running trials (None: the storage has none)."""
        getter = getattr(self.storage, "get_heartbeat_interval", None)
        return getter() if getter is not None else None

    def live_trial(self, number: int) -> optuna.trial.Trial:
        """A ``Trial`` of the study to run (again) for trial ``number``."""
        study_id = self.storage.get_study_id_from_name(self.study.study_name)
        return optuna.trial.Trial(self.study, self.storage.get_trial_id_from_study_id_trial_number(study_id, number))

    def trial_place(self, number: int) -> list[str]:
        """The overrides that tell a trial's run where to report: its study (name and storage, exactly as
        this searcher opened them: one owner, whichever spelling the user set) and its number."""
        return [
            f"hparams_search.trial={number}",
            f"hparams_search.study_name={quoted(self.study.study_name)}",
            f"hparams_search.storage={quoted(self.storage_url)}",
        ]

    def launch(self, batch: list[tuple[optuna.trial.Trial, int]]) -> None:
        """Run ``batch`` (trial, job) through Hydra's launcher and tell the study how each ended."""
        overrides = [[*self.space.overrides(trial.params), *self.trial_place(trial.number)] for trial, _ in batch]
        returns = []
        numbers = [trial.number for trial, _ in batch]
        with Heartbeats(self.storage, self.study.study_name, numbers, self.heartbeat_interval):
            for group in _consecutive(batch):  # (the launcher numbers jobs from a first one on)
                first = batch.index(group[0])
                chunk = overrides[first : first + len(group)]
                returns += list(self.launcher.launch(chunk, initial_job_idx=group[0][1]))
        failures = 0
        for (trial, job), ret in zip(batch, returns):
            failures += not self.tell(trial, self.sweep_dir / str(job), ret)
        if returns and failures / len(returns) > self.max_failure_rate:
            for ret in returns:
                ret.return_value  # noqa: B018 — Hydra's JobReturn raises the job's own error

    def tell(self, trial: optuna.trial.Trial, run_dir: Path, ret) -> bool:
        """Tell the study how the trial's run ended (COMPLETE, PRUNED or FAIL); False when it failed."""
        try:
            value = ret.return_value
        except Exception as err:  # the job raised
            log.warning("trial %d failed: %s", trial.number, err)
            self.study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
            return False
        record = RunRecord.read(run_dir)
        if record is not None and record.status == "pruned":
            self.study.tell(trial.number, state=TrialState.PRUNED, skip_if_finished=True)
            return True
        if record is None or record.status in ("failed", "interrupted"):
            why = record.error if record is not None and record.error else "no metrics.csv"
            log.warning("trial %d failed: %s", trial.number, why)
            self.study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
            return False
        values = [float(v) for v in value] if isinstance(value, (list, tuple)) else [float(value)]
        self.study.tell(trial.number, values, skip_if_finished=True)  # (diverged: the worst value there is)
        return True


class Heartbeats:
    """While a batch runs: record each of its trials' heartbeat every ``interval`` seconds (RDB storages)."""

    def __init__(self, storage: Any, study_name: str, numbers: list[int], interval: int | None) -> None:
        self.interval = interval
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        if interval:
            study_id = storage.get_study_id_from_name(study_name)
            self.storage = storage
            self.ids = [storage.get_trial_id_from_study_id_trial_number(study_id, n) for n in numbers]

    def beat(self) -> None:
        """Record one heartbeat of every trial of the batch."""
        for trial_id in self.ids:
            self.storage.record_heartbeat(trial_id)

    def __enter__(self) -> Heartbeats:
        if self.interval:
            self.beat()
            self.thread = threading.Thread(target=self._loop, name="kexp-heartbeat", daemon=True)
            self.thread.start()
        return self

    def _loop(self) -> None:
        assert self.interval is not None
        while not self.stop.wait(self.interval):
            try:
                self.beat()
            except Exception as err:  # (a storage hiccup: the next beat tries again)
                log.warning("heartbeat not recorded: %s", err)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()


def open_study(storage, name: str, sampler, pruner, directions: list[str], metric_names: list[str]) -> optuna.Study:
    """Create or load the study ``name`` in ``storage``; its objectives named after kexp's metrics."""
    study = optuna.create_study(
        study_name=name,
        storage=storage,
        sampler=sampler,
        pruner=pruner,
        directions=directions,  # type: ignore[arg-type]
        load_if_exists=True,
    )
    if list(study.directions) != [optuna.study.StudyDirection[d.upper()] for d in directions]:
        from kexp.config.errors import ConfigError

        raise ConfigError.bad_value(
            "hparams_search.study_name",
            name,
            f"a study that optimises {', '.join(directions)} — this one, in its storage, "
            f"has {', '.join(d.name.lower() for d in study.directions)}: give a new study_name",
        )
    if study.metric_names is None:
        study.set_metric_names(metric_names)
    return study


def quoted(text: str) -> str:
    """``text`` as a quoted value of Hydra's override grammar (which escapes only quotes, and the
    backslashes just before one)."""
    return "'" + re.sub(r"(\\*)(')", lambda m: m.group(1) * 2 + "\\'", re.sub(r"(\\+)$", r"\1\1", text)) + "'"


def grid_size(space: SearchSpace) -> int:
    """How many combinations a grid over ``space`` has."""
    size = 1
    for values in space.grid.values():
        size *= len(values)
    return size


def _consecutive(batch: list) -> list[list]:
    """``batch`` split into runs of consecutive job numbers."""
    groups: list[list] = []
    for item in batch:
        if groups and groups[-1][-1][1] + 1 == item[1]:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


__all__ = ["Heartbeats", "Searcher", "grid_size", "open_study"]
