"""Every use of Optuna's private API in one place.

- Optuna 2.10 (the newest that hydra-optuna-sweeper 1.3 allows) on SQLAlchemy 2 never commits
  the schema stamp of a new RDB storage: :func:`commit_alembic_stamp` patches its version
  manager to stamp inside a transaction (what Optuna 3.1 does itself).
- :func:`reseed_tpe` sets a ``TPESampler``'s random state for one trial (Optuna has no public
  way to reseed a sampler).
- :func:`trial_to_resume` makes a live ``Trial`` of a trial left RUNNING by a killed searcher.

``tests/compat/test_optuna.py`` checks every name in :data:`PRIVATE_API` against the
installed Optuna, so a release that renames one fails there, naming it.
"""

from __future__ import annotations

import numpy as np
import optuna
from optuna.samplers import RandomSampler, TPESampler

#: ``module.Class`` (or ``module``) → the private attributes kexp uses on it (instance attributes:
#: checked on an instance made with no arguments).
PRIVATE_API = {
    "optuna.storages._rdb.storage._VersionManager": ("_set_alembic_revision", "_create_alembic_script"),
    "optuna.samplers.TPESampler": ("_rng", "_random_sampler"),
    "optuna.trial.FrozenTrial": ("_trial_id",),
}


def commit_alembic_stamp() -> None:
    """Make Optuna's RDB storage commit the schema stamp of a new database (idempotent)."""
    from optuna.storages._rdb import storage as rdb

    manager = rdb._VersionManager
    if getattr(manager, "_kexp_committed_stamp", False):
        return

    def set_alembic_revision(self, revision: str) -> None:
        import alembic.migration
        import sqlalchemy

        try:
            with self.engine.begin() as connection:
                alembic.migration.MigrationContext.configure(connection).stamp(self._create_alembic_script(), revision)
        except sqlalchemy.exc.IntegrityError:  # another searcher stamped it first
            pass

    setattr(manager, "_set_alembic_revision", set_alembic_revision)  # noqa: B010 — the patch itself
    setattr(manager, "_kexp_committed_stamp", True)  # noqa: B010


def reseed_tpe(sampler: TPESampler, seed: int) -> None:
    """Set ``sampler``'s random state (its own draws and its start-up random sampler) to ``seed``."""
    sampler._rng = np.random.RandomState(seed)
    sampler._random_sampler = RandomSampler(seed=seed)


def trial_to_resume(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> optuna.trial.Trial:
    """A ``Trial`` to run again for ``frozen``, a trial of ``study`` still RUNNING (its searcher died)."""
    return optuna.trial.Trial(study, frozen._trial_id)
