"""Where an Optuna study lives: ``hparams_search.storage``, opened (or refused) in one line.

- ``null``: ``sqlite:///<working dir>/outputs/optuna.db``;
- any SQLAlchemy URL (``sqlite:///path/optuna.db``, ``postgresql://…``, ``mysql://…``): Optuna's
  ``RDBStorage``, with heartbeats (``hparams_search.heartbeat``) so that a trial whose searcher
  was killed is failed and retried by Optuna (:class:`optuna.storages.RetryHeartbeatStaleTrialCallback`);
- ``journal:///path/study.log`` (or a path ending ``.log``/``.journal``): Optuna's
  ``JournalStorage`` on a file — one append-only log, for an NFS share without a database
  server. Journal storages have no heartbeats: a killed searcher's trials are finished by
  rerunning it into its sweep directory.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kexp.config.errors import ConfigError
from kexp.runs.layout import OPTUNA_DB, OUTPUT_ROOT

#: The default study storage, beside MLflow's default store (relative to the working directory).
DEFAULT_DB = Path(OUTPUT_ROOT) / OPTUNA_DB
#: Seconds an SQLite writer waits for another process's lock before failing.
SQLITE_TIMEOUT = 60
#: Tries to open a storage (searchers starting together race to create its tables).
ATTEMPTS = 4
JOURNAL_PREFIX = "journal://"


def storage_url(storage: str | None) -> str:
    """``hparams_search.storage`` as a URL: ``null`` is ``sqlite:///<working dir>/outputs/optuna.db``."""
    if storage in (None, "", "null"):
        return f"sqlite:///{(Path.cwd() / DEFAULT_DB).resolve()}"
    return str(storage)


def journal_path(url: str) -> Path | None:
    """The log file of a journal storage URL; None for an SQLAlchemy URL."""
    if url.startswith(JOURNAL_PREFIX):
        return Path(url.removeprefix(JOURNAL_PREFIX))
    if "://" not in url and url.endswith((".log", ".journal")):
        return Path(url)
    return None


def open_storage(storage: str | None, heartbeat: Any = None):
    """An Optuna storage for ``hparams_search.storage`` (created if new); ConfigError otherwise.

    ``heartbeat`` (``hparams_search.heartbeat``: ``interval``, ``grace_period``, ``max_retry``)
    switches on Optuna's heartbeats on an RDB storage. SQLite files get a lock time-out, so
    that searchers on one machine (or on an NFS share that honours locks) wait for each
    other instead of failing with "database is locked".
    """
    url = storage_url(storage)
    journal = journal_path(url)
    if journal is not None:
        return _open_journal(url, journal)
    import optuna
    import sqlalchemy

    engine = {"connect_args": {"timeout": SQLITE_TIMEOUT}} if url.startswith("sqlite:") else {"pool_pre_ping": True}
    from kexp.search.quiet import quiet_experimental

    beats: dict[str, Any] = {}
    if heartbeat is not None and heartbeat.get("interval"):
        with quiet_experimental():
            retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=heartbeat.get("max_retry"))
        beats = {
            "heartbeat_interval": int(heartbeat["interval"]),
            "grace_period": int(heartbeat.get("grace_period") or 2 * int(heartbeat["interval"])),
            "heartbeat_stale_trial_callback": retry,
        }
    failure: BaseException | None = None
    for attempt in range(ATTEMPTS):
        try:
            if url.startswith("sqlite:///"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            with quiet_experimental():
                return optuna.storages.RDBStorage(url, engine_kwargs=engine, **beats)
        except sqlalchemy.exc.SQLAlchemyError as err:  # (also: two searchers creating one storage)
            if attempt + 1 < ATTEMPTS and not isinstance(err, sqlalchemy.exc.ArgumentError):
                time.sleep(0.5 * (attempt + 1))
                continue
            failure = err
        except RuntimeError as err:  # (a storage an older Optuna made: its schema needs an upgrade)
            if "optuna storage upgrade" not in str(err):
                raise
            raise ConfigError(
                f"hparams_search.storage={url} — written by an older Optuna ({str(err).split('(')[-1].split(')')[0]}); "
                f"upgrade it once with: optuna storage upgrade --storage {url} (or give a new storage)"
            ) from None
        except (ValueError, ImportError, OSError) as err:
            failure = err
        break
    reason = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
    raise ConfigError(
        f"hparams_search.storage={url} — cannot be opened ({reason}); "
        "give an SQLAlchemy URL or journal:///path/study.log the study can be written to"
    ) from None


def _open_journal(url: str, path: Path):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    except OSError as err:
        raise ConfigError(
            f"hparams_search.storage={url} — cannot be opened ({err.strerror or err}); "
            "give a journal file in a folder the study can be written to"
        ) from None


def has_heartbeat(storage) -> bool:
    """Whether ``storage`` records heartbeats (an RDB storage opened with ``heartbeat.interval``)."""
    getter = getattr(storage, "get_heartbeat_interval", None)
    return getter is not None and getter() is not None
