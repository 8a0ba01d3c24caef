"""run.yaml's facts: the git state of the working directory, versions, first start kept."""

import subprocess

import pytest
import yaml

from kexp.backends.start import BackendInfo
from kexp.runs.provenance import git_state, mark_finished, provenance, write_run_file
from tests.conftest import REPO


def test_the_git_state_is_the_repositorys_and_absent_outside_one(tmp_path):
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    state = git_state(REPO)
    assert state["commit"] == head and isinstance(state["dirty"], bool)
    assert git_state(tmp_path) is None


def test_a_resumed_run_keeps_its_first_start_and_ends_with_a_status(tmp_path):
    backend = BackendInfo(backend="jax", keras="3.15.1", precision="float32", devices=["cpu:0", "cpu:1"])
    write_run_file(tmp_path, provenance(3, backend, started="2026-01-01T00:00:00+00:00"))
    write_run_file(tmp_path, provenance(3, backend, started="2026-01-02T00:00:00+00:00"))
    mark_finished(tmp_path, "ok")
    facts = yaml.safe_load((tmp_path / "run.yaml").read_text())
    assert facts["first_started"] == "2026-01-01T00:00:00+00:00"
    assert facts["started"] == "2026-01-02T00:00:00+00:00" and facts["status"] == "ok"
    assert facts["finished"] >= "2026" and facts["seed"] == 3 and facts["python"].count(".") == 2
    # the backend as fields (kexp.compare reads them; no free text to parse)
    assert (facts["backend"], facts["precision"], facts["devices"]) == ("jax", "float32", ["cpu:0", "cpu:1"])


@pytest.mark.parametrize("value", [
    "outputs/2026-12-04/13-58-26_model=mlp,trainer.epochs=15",
    "outputs/multirun/2026-12-04/13-58-26",
    "/tmp/my runs/it's here",
    "a[1]{b}$HOME",
    "C:\\runs\\x y", "ends with a backslash\\", "a\\'quote",  # (Hydra reads a backslash as itself but
])                                                             # before a quote or at the end)
def test_a_printed_override_pastes_back_to_the_same_value(value):
    import shlex

    from hydra.core.override_parser.overrides_parser import OverridesParser

    from kexp.runs.provenance import override_argument

    printed = override_argument("hydra.run.dir", value)
    (argument,) = shlex.split(printed)  # one shell word
    (override,) = OverridesParser.create().parse_overrides([argument])
    assert override.key_or_group == "hydra.run.dir" and override.value() == value
