"""Atomic writes leave either the old file or the new one, never a partial one."""

import os

import pandas as pd
import pytest

from kexp.runs.atomic import atomic_path, write_csv, write_text


def test_write_csv_and_text(tmp_path):
    write_csv(tmp_path / "m.csv", pd.DataFrame([{"a": 1, "b": 0.5}]))
    assert (tmp_path / "m.csv").read_text() == "a,b\n1,0.5\n"
    write_text(tmp_path / "t.txt", "hello")
    assert (tmp_path / "t.txt").read_text() == "hello"
    assert oct((tmp_path / "t.txt").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def test_failure_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "metrics.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["metrics.csv"]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
