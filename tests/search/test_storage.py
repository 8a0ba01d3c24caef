"""``hparams_search.storage``: the default, RDB URLs with heartbeats, journal files, URLs that cannot be opened."""

import optuna
import pytest

from kexp.search.storage import has_heartbeat, open_storage, storage_url
from tests.conftest import preflight_error


def test_the_default_storage_is_an_sqlite_file_under_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert storage_url(None) == f"sqlite:///{tmp_path / 'outputs' / 'optuna.db'}"
    storage = open_storage(None)
    assert storage.get_all_studies() == [] and (tmp_path / "outputs" / "optuna.db").is_file()
    assert not has_heartbeat(storage)
    beating = open_storage(None, {"interval": 7, "grace_period": 20, "max_retry": 1})
    assert has_heartbeat(beating) and beating.get_heartbeat_interval() == 7


@pytest.mark.parametrize("url", ["journal:///{dir}/j/study.log", "{dir}/j/study.journal"])
def test_a_journal_file_is_a_storage_two_openers_share(tmp_path, url):
    url = url.format(dir=tmp_path)
    first = optuna.create_study(study_name="s", storage=open_storage(url))
    first.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    again = optuna.load_study(study_name="s", storage=open_storage(url))
    assert [t.params for t in again.trials] == [t.params for t in first.trials]
    assert isinstance(open_storage(url), optuna.storages.JournalStorage)
    assert (tmp_path / "j").is_dir() and len(list((tmp_path / "j").iterdir())) >= 1


@pytest.mark.parametrize("url, reason", [
    ("sqlite:////proc/none/optuna.db", "cannot be opened ([Errno 2] No such file or directory: '/proc/none')"),
    ("postgresql://127.0.0.1:1/db", "cannot be opened (Failed to import DB access module"),
    ("nonsense", "cannot be opened (Could not parse SQLAlchemy URL"),
    ("journal:///proc/none/study.log", "cannot be opened (No such file or directory)"),
])
def test_a_storage_that_cannot_be_opened_is_one_line_before_anything_runs(tmp_path, monkeypatch, url, reason):
    monkeypatch.chdir(tmp_path)
    line = preflight_error(["-m", "hparams_search=optuna", f"hparams_search.storage={url}"])
    assert line.startswith(f"kexp: config error: hparams_search.storage={url} — {reason}")
    assert "\n" not in line and list(tmp_path.iterdir()) == []
