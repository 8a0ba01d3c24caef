"""``hparams_search=optuna``: kexp's own Hydra sweeper on Optuna's public ask-and-tell API.

- :mod:`kexp.search.space`: the search space from Hydra's sweep grammar;
- :mod:`kexp.search.samplers`, :mod:`kexp.search.pruners`: Optuna's samplers and pruners by name;
- :mod:`kexp.search.storage`: the study's storage (SQLite under ``outputs/`` by default, any
  SQLAlchemy URL with heartbeats, a journal file), opened or refused in one line;
- :mod:`kexp.search.settings`, :mod:`kexp.search.preflight`: ``hparams_search.*`` checked
  before anything runs;
- :mod:`kexp.search.sweeper`, :mod:`kexp.search.run`: the loop — trials tagged with their
  sweep directory and job, heartbeats, a killed searcher's trials finished on a rerun,
  budgets — and one search from start to files;
- :mod:`kexp.search.trial_reports`: inside each trial's run, the per-epoch report and pruning;
- :mod:`kexp.search.confirm`: the best trials again with fresh seeds;
- :mod:`kexp.search.study_table`, :mod:`kexp.search.study_files`: ``study.csv``,
  ``optimization_results.yaml``, importances, the Pareto front.

The Hydra plugin class lives in ``hydra_plugins/kexp_optuna_sweeper`` (Hydra only loads
plugins from that package) and imports this package when a search starts.
"""
