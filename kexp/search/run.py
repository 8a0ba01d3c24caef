"""``run_search``: one search from the sweeper's settings to the files in its sweep directory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kexp.search.fixed import check_fixed, record_fixed, untied
from kexp.search.pruners import make_pruner
from kexp.search.quiet import quiet_experimental
from kexp.search.samplers import make_sampler
from kexp.search.settings import SearchSettings
from kexp.search.space import search_space
from kexp.search.storage import open_storage, storage_url
from kexp.search.sweeper import Searcher, open_study

log = logging.getLogger("kexp")


def run_search(
    sweeper: dict[str, Any], fixed: dict[str, Any], sweep_dir: Path, launcher: Any, arguments: list[str]
) -> None:
    """Search as ``hydra.sweeper`` (``sweeper``) says, launching jobs with ``launcher`` into ``sweep_dir``.

    ``fixed``: the job config's resolved settings (flat; :func:`kexp.search.fixed.untied` keeps those it does not vary),
    which the study records and a later search into it must share.

    The sweep directory is locked for the whole search (a second searcher into it
    is refused in one line); the study is created or continued in its storage.
    """
    from kexp.runs.directory import RunLock
    from kexp.search.confirm import confirm_finalists
    from kexp.search.study_files import write_study_files

    with quiet_experimental():
        settings = SearchSettings.of_sweeper(sweeper)
        space = search_space(sweeper.get("params"), arguments)
        storage = open_storage(sweeper.get("storage"), settings.heartbeat)
        fixed = untied(fixed, space.distributions)
        sampler = make_sampler(
            settings.sampler, settings.seed, settings.sampler_options, space.grid, len(settings.objectives)
        )
        pruner = make_pruner(settings.pruner, settings.pruner_options, settings.epochs)
        sweep_dir = sweep_dir.resolve()
        lock = RunLock.acquire(sweep_dir, key="hydra.sweep.dir")
        try:
            study = open_study(
                storage, str(sweeper["study_name"]), sampler, pruner, settings.directions, settings.objectives
            )
            check_fixed(study.user_attrs, fixed, study.study_name)
            record_fixed(study, fixed)
            log.info(
                "Optuna study %s in %s (%d trials so far)",
                study.study_name,
                storage_url(sweeper.get("storage")),
                len(study.trials),
            )
            searcher = Searcher(
                study,
                space,
                settings,
                sweep_dir,
                launcher,
                n_trials=int(sweeper.get("n_trials", 20)),  # (checked by SearchSettings.of_sweeper)
                n_jobs=int(sweeper.get("n_jobs", 1)),
                max_failure_rate=float(sweeper.get("max_failure_rate", 0.0)),
                storage=storage,
                storage_url=storage_url(sweeper.get("storage")),
            )
            searcher.run()
            finalists = confirm_finalists(searcher) if settings.confirm_top_k else None
            write_study_files(study, sweep_dir, settings, finalists)
        finally:
            lock.release()
