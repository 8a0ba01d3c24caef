"""Each house check of ``.ci/run`` can fail: run on a broken input, it exits non-zero.

Once, the docs step built with ``mkdocs build --strict --quiet``; ``--quiet`` hides the
warnings that ``--strict`` counts, so a broken link passed CI. Each check here is the command
``.ci/run`` runs (read from it), pointed at something broken.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

CI = (REPO / ".ci" / "run").read_text()


def ci_command(start: str) -> list[str]:
    """The words of the .ci/run line that runs ``start`` (without its ``|| status=1``)."""
    line = next(line for line in CI.splitlines() if re.match(rf"(\w+=\S+ )*{re.escape(start)}\b", line))
    return line.split("||")[0].split()


def run(words: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env_words = [w for w in words if re.fullmatch(r"[A-Z_0-9]+=\S*", w)]
    command = [w for w in words if w not in env_words]
    bin_dir = Path(sys.executable).parent
    command[0] = str(bin_dir / command[0]) if (bin_dir / command[0]).exists() else command[0]
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", **dict(w.split("=", 1) for w in env_words)}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_the_docs_build_fails_on_a_broken_link(tmp_path):
    words = ci_command("mkdocs build")
    assert "--strict" in words and "--quiet" not in words
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    page = tmp_path / "docs" / "configuration.md"
    page.write_text(page.read_text() + "\nSee [nowhere](sweeps.md#no-such-heading).\n")
    words = words[: words.index("--site-dir")] + ["--site-dir", str(tmp_path / "site")]
    broken = run(words, tmp_path)
    assert broken.returncode != 0 and "no-such-heading" in broken.stdout + broken.stderr


@pytest.mark.parametrize("start, source", [
    ("ruff check", "import os\n"),  # an unused import
    ("ruff format --check", "x = {  'a':1 }\n"),
    ("mypy", "x: int = 'one'\n"),
])
def test_the_code_checks_fail_on_bad_code(start, source, tmp_path):
    words = ci_command(start)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text(source)
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = words[: len(start.split())] + (["pkg"] if start != "mypy" else ["-p", "pkg"])
    assert run(target, tmp_path).returncode != 0
    (tmp_path / "pkg" / "__init__.py").write_text('"""A module."""\n\nx: int = 1\n')
    assert run(target, tmp_path).returncode == 0, run(target, tmp_path).stdout
