"""Hydra callbacks at the end of a sweep: the comparison, and the sweep's exit status.

Both read what the jobs wrote (``metrics.csv`` through :class:`kexp.runs.record.RunRecord`),
which is the truth for every launcher: jobs run in this process, in joblib
workers, on a SLURM cluster.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from kexp.runs.layout import REPORT_FILE, SUMMARY_MD
from kexp.runs.sweep_end import SweepEnd

log = logging.getLogger("kexp")


class CompareSweep(SweepEnd):
    """At the end of a sweep: write the comparison files into the sweep directory."""

    def __init__(self, metric: str = "auto") -> None:
        self.metric = metric

    def sweep_ended(self, sweep_dir: Path) -> None:
        from kexp.reporting.compare import compare
        from kexp.search.study_table import study_run_dirs

        # an Optuna study (hparams_search=optuna): the runs of all its trials, from every sweep dir
        runs = study_run_dirs(sweep_dir) or [sweep_dir]
        try:
            written = compare(runs, sweep_dir, self.metric)
        except (FileNotFoundError, ValueError) as err:
            log.error("kexp: no comparison written: %s", err)
            return
        log.info("kexp: sweep comparison: %s", written[REPORT_FILE])
        print(f"kexp: sweep summary {written[SUMMARY_MD]}")
        print(f"kexp: {written_text(sweep_dir)}")


def written_text(sweep_dir: Path) -> str:
    """What a sweep left on disk: its run directories and bytes (say it: a morning of sweeps adds up)."""
    from kexp.runs.disk import human

    runs = sum(1 for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit())
    size = sum(p.stat().st_size for p in sweep_dir.rglob("*") if p.is_file())
    return f"the sweep wrote {runs} run director{'y' if runs == 1 else 'ies'}, {human(size)} in all, in {sweep_dir}"


class SweepExitStatus(SweepEnd):
    """At the end of a sweep: exit 1 when a job of the sweep did not end ok, or a run's figure
    could not be written (:mod:`kexp.runs.figure_helper`).

    Hydra calls the end-of-sweep callbacks in reverse order of
    ``hydra.callbacks``: this one is listed first so that it runs last, after
    the comparison (leaving with ``SystemExit`` stops the callbacks after it).
    """

    def sweep_ended(self, sweep_dir: Path) -> None:
        from kexp.reporting.compare.runs import find_runs
        from kexp.runs import figure_helper
        from kexp.runs.record import EVALUATED

        runs = find_runs([sweep_dir]) if sweep_dir.is_dir() else []
        not_ok = [str(run.path) for run in runs if run.status not in EVALUATED]  # (pruned: a search stopped it)
        figure_failures = figure_helper.take_failures()
        for failure in figure_failures:
            print(f"kexp: {failure}", file=sys.stderr)
        if not_ok:
            print(f"kexp: {len(not_ok)} job(s) did not end ok: {', '.join(not_ok)}", file=sys.stderr)
        if not_ok or figure_failures:
            sys.exit(1)
