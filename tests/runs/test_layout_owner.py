"""``kexp/runs/layout.py`` is the one owner of every file name a run, a sweep, an evaluation, an export
or a replay writes: no such name is written out anywhere else in ``kexp/`` (docstrings aside)."""

import ast
import re
from pathlib import Path

from kexp.runs import layout
from tests.conftest import REPO

#: A file name: a word with one of the suffixes kexp's outputs have.
FILE_NAME = re.compile(r"^[\w.-]*\w\.(csv|png|yaml|yml|keras|md|html|json|log|txt|joblib|h5|npz|db|journal|onnx|tflite)$")
#: Directory names of the layout that mean nothing else (``tensorboard`` is also a logger's name, ``backup`` an
#: error's kind, ``lr_find`` a command's: those are not looked for).
DIRECTORY_NAMES = {"evaluations", "checkpoints", "outputs", "multirun", "exports", ".hydra", ".kexp"}
#: Files kexp reads but no run writes: Keras's own settings, the primary config of conf/.
INPUTS = {("kexp/backends/__init__.py", "keras.json"), ("kexp/config/location.py", "config.yaml")}


def literal_names(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and (FILE_NAME.match(node.value) or node.value in DIRECTORY_NAMES)]


def test_no_file_name_of_the_outputs_is_written_out_outside_the_layout():
    found = [
        f"{path.relative_to(REPO)}:{line} {name}"
        for path in sorted((REPO / "kexp").rglob("*.py")) if path != REPO / "kexp" / "runs" / "layout.py"
        for line, name in literal_names(path)
        if (path.relative_to(REPO).as_posix(), name) not in INPUTS
    ]
    assert found == []


def test_the_scan_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""About history.csv."""\nPATH = "history.csv"\nOTHER = run / "evaluations"\n')
    assert literal_names(sample) == [(2, "history.csv"), (3, "evaluations")]
    assert layout.HISTORY_FILE == "history.csv" and layout.EVALUATIONS_DIR == "evaluations"
