"""``hparams_search.storage``: the default, URLs that cannot be opened, journal files."""

import pytest

from kexp.search.storage import open_storage, storage_url
from tests.conftest import preflight_error


def test_the_default_storage_is_an_sqlite_file_under_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert storage_url(None) == f"sqlite:///{tmp_path / 'outputs' / 'optuna.db'}"
    storage = open_storage(None)  # Optuna 2.10 on SQLAlchemy 2: the schema stamp is committed
    assert storage.get_all_study_summaries() == [] and (tmp_path / "outputs" / "optuna.db").is_file()


@pytest.mark.parametrize("url, reason", [
    ("sqlite:////proc/none/optuna.db", "cannot be opened ([Errno 2] No such file or directory: '/proc/none')"),
    ("postgresql://127.0.0.1:1/db", "cannot be opened (Failed to import DB access module"),
    ("nonsense", "cannot be opened (Could not parse SQLAlchemy URL"),
    ("journal:///tmp/study.log", "Optuna's journal storage needs Optuna ≥ 3.1"),
])
def test_a_storage_that_cannot_be_opened_is_one_line_before_anything_runs(tmp_path, monkeypatch, url, reason):
    monkeypatch.chdir(tmp_path)
    line = preflight_error(["-m", "hparams_search=optuna", f"hparams_search.storage={url}"])
    assert line.startswith(f"kexp: config error: hparams_search.storage={url} — {reason}")
    assert "\n" not in line and list(tmp_path.iterdir()) == []
