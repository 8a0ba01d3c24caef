"""Where an Optuna study lives: ``hparams_search.storage``, opened (or refused) in one line."""

from __future__ import annotations

import time
from pathlib import Path

from kexp.compat.optuna import commit_alembic_stamp
from kexp.config.errors import ConfigError

#: The default study storage, beside MLflow's default store (relative to the working directory).
DEFAULT_DB = Path("outputs") / "optuna.db"
#: Seconds an SQLite writer waits for another process's lock before failing.
SQLITE_TIMEOUT = 60
#: Tries to open a storage (searchers starting together race to create its tables).
ATTEMPTS = 4


def storage_url(storage: str | None) -> str:
    """``hparams_search.storage`` as a URL: ``null`` is ``sqlite:///<working dir>/outputs/optuna.db``."""
    if storage in (None, "", "null"):
        return f"sqlite:///{(Path.cwd() / DEFAULT_DB).resolve()}"
    return str(storage)


def open_storage(storage: str | None):
    """An Optuna storage for ``hparams_search.storage`` (tables created if new); ConfigError otherwise.

    SQLite files get a lock time-out, so that searchers on one machine (or on an
    NFS share that honours locks) wait for each other instead of failing with
    "database is locked".
    """
    url = storage_url(storage)
    if url.startswith(("journal:", "file:")) or url.endswith((".log", ".journal")):
        raise ConfigError(
            f"hparams_search.storage={url} — Optuna's journal storage needs Optuna ≥ 3.1, "
            "which hydra-optuna-sweeper (optuna<3) does not allow; use an SQLAlchemy URL "
            "(sqlite:///path/optuna.db, postgresql://…, mysql://…)"
        )
    import optuna
    import sqlalchemy

    commit_alembic_stamp()
    engine = {"connect_args": {"timeout": SQLITE_TIMEOUT}} if url.startswith("sqlite:") else {"pool_pre_ping": True}
    for attempt in range(ATTEMPTS):
        try:
            if url.startswith("sqlite:///"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            return optuna.storages.RDBStorage(url, engine_kwargs=engine)
        except sqlalchemy.exc.SQLAlchemyError as err:  # (also: two searchers creating one storage)
            if attempt + 1 < ATTEMPTS and not isinstance(err, sqlalchemy.exc.ArgumentError):
                time.sleep(0.5 * (attempt + 1))
                continue
            failure = err
        except (ValueError, ImportError, OSError) as err:
            failure = err  # type: ignore[assignment]  # (any of the errors above)
        reason = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
        raise ConfigError(
            f"hparams_search.storage={url} — cannot be opened ({reason}); "
            "give an SQLAlchemy URL the study can be written to"
        ) from None
