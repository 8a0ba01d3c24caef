"""``hparams_search=optuna`` with a shared, persistent study.

Hydra's Optuna sweeper (``hydra-optuna-sweeper``) asks, launches and tells;
kexp adds what a study shared by several processes and machines needs:

- :mod:`kexp.search.storage`: the study's storage (an SQLite file under
  ``outputs/`` by default, any SQLAlchemy URL), opened or refused in one line;
- :mod:`kexp.search.sampler`: a TPE sampler seeded per trial number, so that
  concurrent searchers never propose the same trials;
- :mod:`kexp.search.sweeper`: the sweep loop — each trial tagged with its sweep
  directory and job, a rerun into the same sweep directory finishing its killed
  trials and then the rest of ``n_trials``, ``study.csv`` listing every trial.

The Hydra plugin class that names it lives in ``hydra_plugins/kexp_optuna_sweeper``
(Hydra only loads plugins from that package).
"""
