"""Every command the README and the docs show is checked as written, so the docs cannot drift.

- ``python -m kexp …`` lines: the whole preflight runs on them (every job composed and checked,
  as before training) in a sandbox that holds what they name — ``photos/``, ``~/photos``,
  ``houses.csv``, ``mypkg.data.load``, … — and must accept them;
- ``$ python -m kexp …`` lines (a mistake and its message): the next line is the message, and
  preflight must give exactly it (a trailing ``...`` stands for the rest of a long list);
- ``python -m kexp.<command>``: each command's ``--help`` runs.

Training every documented command would take most of the suite's budget; what each one trains is
covered by the feature tests. A line that needs what no test machine has (a Ray cluster, a
PostgreSQL server, Slurm) is listed in :data:`NEEDS_ELSEWHERE` with the reason.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO, preflight_error, write_image_tree, write_npz

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

#: Documented lines that need what a test machine does not have.
NEEDS_ELSEWHERE = {
    "python -m kexp k=v ...": "a diagram's label, not a command",
    "hydra.launcher.ray.init.address=HEAD:6379": "a Ray cluster's head node",
    "hparams_search.storage=postgresql://user@db/kexp": "a PostgreSQL server",
    "hydra/launcher=slurm": "a Slurm cluster",
}
#: Placeholders of the docs (absolute paths of the reader's machine) → the sandbox's.
PLACES = ("/somewhere/", "/models/", "/nowhere/", "../shared/data/")


def documented_lines() -> list[tuple[str, str, str]]:
    """(page:line, the command, the line after it) for every ``python -m kexp`` line of a code block."""
    found = []
    for page in PAGES:
        lines, inside = page.read_text(encoding="utf-8").splitlines(), False
        for number, line in enumerate(lines):
            if line.strip().startswith("```"):
                inside = not inside
                continue
            text = line.strip()
            if not inside or not re.match(r"(\$ )?python -m kexp\b", text):
                continue
            following = number + 1
            while text.endswith("\\") and following < len(lines):
                text = text[:-1] + " " + lines[following].strip()
                following += 1
            after = lines[following].strip() if following < len(lines) else ""
            found.append((f"{page.name}:{number + 1}", text, after))
    return found


LINES = documented_lines()
RUNS = [(where, text) for where, text, _ in LINES if not text.startswith("$") and re.match(r"python -m kexp( |$)", text)]
MISTAKES = [(where, text[2:], after) for where, text, after in LINES if text.startswith("$ python -m kexp ")]
COMMANDS = sorted({m.group(1) for _, text, _ in LINES if (m := re.match(r"(?:\$ )?python -m (kexp\.\w+)", text))})


def argv_of(text: str, sandbox: Path) -> list[str]:
    """The command's arguments as a shell passes them, the comment dropped, placeholders in the sandbox."""
    words = shlex.split(text.replace("$ ", "", 1), comments=True)[3:]
    out = []
    for word in words:
        for place in PLACES:
            word = word.replace(place, f"{sandbox}/{place.strip('./')}/")
        out.append(word.replace("~/", f"{sandbox}/home/"))
    return out


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """What the documented commands name: image folders, tables, a loader, an npz, one's own configs."""
    root = tmp_path_factory.mktemp("documented")
    home = root / "home"
    for folder in (root / "photos", home / "photos"):
        write_image_tree(folder, per_class=3)
    write_image_tree(home / "flowers" / "train", per_class=3)
    write_image_tree(home / "flowers" / "test", per_class=2)
    rng = np.random.default_rng(0)
    rows = {"size": rng.random(40), "rooms": rng.integers(1, 6, 40)}
    pd.DataFrame({**rows, "price": rng.random(40)}).to_csv(root / "houses.csv", index=False)
    pd.DataFrame({**rows, "churned": np.where(rng.random(40) > 0.5, "yes", "no")}).to_csv(root / "churn.csv", index=False)
    (root / "mypkg").mkdir()
    (root / "mypkg" / "__init__.py").write_text("")
    (root / "mypkg" / "data.py").write_text(
        "import numpy as np\n\ndef load(limit=None):\n    x = np.random.default_rng(0).random((60, 8, 8))\n"
        "    return {'x_train': x[:50], 'y_train': np.arange(50) % 2, 'x_test': x[50:], 'y_test': np.arange(10) % 2}\n")
    for place in ("somewhere", "shared/data"):
        (root / place).mkdir(parents=True)
        write_npz(root / place / "mnist.npz")
    (root / "models" / "my_resnet_preset").mkdir(parents=True)
    (root / "models" / "resnet50v2_notop.h5").write_bytes(b"")
    (home / "my_kexp_conf" / "model").mkdir(parents=True)
    (home / "my_kexp_conf" / "model" / "my_net.yaml").write_text(  # (every key its family's schema requires)
        "name: my_net\nbuilder: mlp\nhidden_units: [16]\nactivation: relu\nkernel_initializer: he\n")
    return root


def test_the_docs_show_commands_of_every_kind():
    assert len(RUNS) >= 50 and len(MISTAKES) >= 10 and len(COMMANDS) >= 7


@pytest.mark.parametrize("where, text", RUNS, ids=[where for where, _ in RUNS])
def test_each_documented_command_passes_preflight_as_written(where, text, sandbox, monkeypatch):
    reason = next((why for part, why in NEEDS_ELSEWHERE.items() if part in text), None)
    if reason:
        pytest.skip(f"needs {reason}")
    monkeypatch.chdir(sandbox)
    monkeypatch.syspath_prepend(str(sandbox))  # (mypkg, as running from its folder)
    assert preflight_error(argv_of(text, sandbox)) == "", f"{where}: {text}"


@pytest.mark.parametrize("where, text, message", MISTAKES, ids=[where for where, _, _ in MISTAKES])
def test_each_documented_mistake_gives_its_documented_line(where, text, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photos" / "zebra").mkdir(parents=True)  # bad-input.md's folder with an empty class
    write_image_tree(tmp_path / "photos", classes=("cat",), per_class=2)
    got = preflight_error(argv_of(text, tmp_path))
    expected = message.replace(f"{tmp_path}/", "")
    for place in PLACES:
        got = got.replace(f"{tmp_path}/{place.strip('./')}/", place)
    if expected.endswith("..."):
        assert got.startswith(expected[:-3]), f"{where}: {got}"
    else:
        assert got == expected, f"{where}: {got}"


@pytest.mark.parametrize("command", COMMANDS)
def test_each_documented_command_has_a_help(command):
    shown = subprocess.run([sys.executable, "-m", command, "--help"], capture_output=True, text=True,
                           cwd=REPO, timeout=120)
    assert shown.returncode == 0, shown.stderr[-1000:]
    assert shown.stdout.startswith(f"usage: python -m {command}"), shown.stdout[:200]
