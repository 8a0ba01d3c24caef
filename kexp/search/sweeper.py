"""The sweep loop of ``hparams_search=optuna``: a persistent study, shared, resumable.

Hydra's Optuna sweeper runs ``n_trials`` new trials every time it starts. Here
a *searcher* is one sweep directory: it runs ``n_trials`` trials, each tagged
in the study with its sweep directory, job number and run directory (user
attribute ``kexp``: ``{sweep_dir, job, run_dir}``, set in one write). So

- the same command again (a new sweep directory) continues the study with
  ``n_trials`` more trials, informed by all before;
- several searchers (processes, machines) with the same storage and study name
  work on one study; the storage hands out each trial once;
- a searcher killed and rerun into its sweep directory (``hydra.sweep.dir=…``)
  first finishes the trials it left running — at their own job numbers, so
  each kexp job resumes its run directory from its backup — then runs the rest
  of its ``n_trials``.

At the end ``study.csv`` in the sweep directory lists every trial of the study
(from every sweep directory), and :class:`kexp.reporting.compare.callback.CompareSweep`
compares their runs.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import optuna
from omegaconf import OmegaConf
from optuna.trial import TrialState

from kexp.compat.optuna import trial_to_resume
from kexp.compat.optuna_sweeper import OptunaSweeperImpl, configure_trials, directions, search_space
from kexp.search.storage import open_storage, storage_url
from kexp.search.study_table import ATTRIBUTE, STUDY_FILE, write_study_table

log = logging.getLogger("kexp")


class SharedStudySweeper(OptunaSweeperImpl):
    """Hydra's Optuna sweeper with kexp's storage, per-sweep-directory trial count and resume."""

    def sweep(self, arguments: list[str]) -> None:
        """Finish this sweep directory's unfinished trials, then run the rest of ``n_trials``."""
        if isinstance(self.sampler, functools.partial):  # GridSampler: Hydra's own loop
            self.storage = open_storage(self.storage)
            return super().sweep(arguments)
        from kexp.runs.directory import RunLock

        space, fixed = search_space(self, arguments)
        sweep_dir = Path(self.config.hydra.sweep.dir).resolve()  # type: ignore[union-attr]
        lock = RunLock.acquire(sweep_dir, key="hydra.sweep.dir")
        try:
            study = optuna.create_study(
                study_name=self.study_name,
                storage=open_storage(self.storage),
                sampler=self.sampler,
                directions=directions(self),
                load_if_exists=True,
            )
            log.info(
                "Optuna study %s in %s (%d trials so far)",
                study.study_name,
                storage_url(self.storage),
                len(study.trials),
            )
            mine = [
                t
                for t in study.get_trials(deepcopy=False)
                if t.user_attrs.get(ATTRIBUTE, {}).get("sweep_dir") == str(sweep_dir)
            ]
            left_running = [t for t in mine if t.state == TrialState.RUNNING]
            for frozen in left_running:
                job = frozen.user_attrs[ATTRIBUTE]["job"]
                log.info("resuming trial %d (job %d)", frozen.number, job)
                self._run_trials(study, [trial_to_resume(study, frozen)], space, fixed, job)
            next_job = max((t.user_attrs[ATTRIBUTE]["job"] for t in mine), default=-1) + 1
            to_go = self.n_trials - len(mine)
            while to_go > 0:
                trials = [study.ask() for _ in range(min(to_go, self.n_jobs))]
                for job, trial in enumerate(trials, start=next_job):  # (one write: all or nothing)
                    trial.set_user_attr(
                        ATTRIBUTE, {"sweep_dir": str(sweep_dir), "job": job, "run_dir": str(sweep_dir / str(job))}
                    )
                self._run_trials(study, trials, space, fixed, next_job)
                next_job += len(trials)
                to_go -= len(trials)
            write_study_table(study, sweep_dir / STUDY_FILE)
            self._save_results(study, sweep_dir)
        finally:
            lock.release()

    def _run_trials(self, study, trials: list, space: dict, fixed: dict, first_job: int) -> None:
        """Launch ``trials`` as jobs ``first_job, first_job + 1, …`` and tell the study their values."""
        overrides = configure_trials(self, trials, space, fixed)
        returns = self.launcher.launch(overrides, initial_job_idx=first_job)  # type: ignore[union-attr]
        self.job_idx = max(self.job_idx, first_job + len(returns))
        failures = 0
        for trial, ret in zip(trials, returns):
            try:
                value = ret.return_value
                values = [float(v) for v in value] if isinstance(value, (list, tuple)) else [float(value)]
            except Exception as err:  # the job raised, or returned no number
                log.warning("trial %d failed: %s", trial.number, err)
                study.tell(trial.number, state=TrialState.FAIL)
                failures += 1
                continue
            study.tell(trial.number, values)
        if returns and failures / len(returns) > self.max_failure_rate:
            for ret in returns:
                ret.return_value  # noqa: B018 — Hydra's JobReturn raises the job's own error

    def _save_results(self, study, sweep_dir: Path) -> None:
        """``optimization_results.yaml`` as Hydra's sweeper writes it, over the whole study."""
        results: dict[str, Any] = {"name": "optuna", "study_name": study.study_name}
        complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
        if len(study.directions) == 1 and complete:
            results.update(best_params=study.best_trial.params, best_value=study.best_trial.value)
            log.info("Best parameters: %s, value %s", study.best_trial.params, study.best_trial.value)
        elif complete:
            results["solutions"] = [{"params": t.params, "values": t.values} for t in study.best_trials]
        OmegaConf.save(OmegaConf.create(results), sweep_dir / "optimization_results.yaml")
