"""The run directory's layout has one owner (kexp/runs/layout.py), and the docs' table of run files
lists exactly its entries."""

import re
from pathlib import Path

from kexp.runs import layout

DOCS = Path(__file__).resolve().parents[2] / "docs" / "getting-started.md"


def documented_run_files() -> list[str]:
    """The first column of the "file | what" table in docs/getting-started.md, one name per cell item."""
    text = DOCS.read_text(encoding="utf-8")
    table = text[text.index("| file | what |"):].split("\n\n")[0].splitlines()[2:]
    names = []
    for row in table:
        names += re.findall(r"`([^`]+)`", row.split("|")[1])
    return names


def test_the_docs_table_of_run_files_is_the_layout():
    owned = [name.strip() for key in layout.RUN_FILES for name in key.split(",")]
    assert sorted(documented_run_files()) == sorted(owned)


def test_artifacts_are_run_files(tmp_path):
    files = {name.strip() for key in layout.RUN_FILES for name in key.split(",")}
    for artifact in layout.ARTIFACT_FILES:
        top = artifact.split("/")[0] + ("/" if "/" in artifact else "")
        assert artifact in files or top in files, artifact
    assert layout.read_history(tmp_path).empty and layout.completed_epochs(tmp_path / "backup") == 0
    (tmp_path / "backup" / "epoch-0003").mkdir(parents=True)
    (tmp_path / "backup" / "epoch-0012").mkdir()
    (tmp_path / "backup" / ".partial-0013-1").mkdir()
    assert layout.completed_epochs(tmp_path / "backup") == 12
    assert [p.name for p in layout.epoch_dirs(tmp_path / "backup")] == ["epoch-0003", "epoch-0012"]
