"""Run directories: a new one per run, one live process each, one config each."""

import subprocess
import sys

import pytest

from kexp.config.errors import ConfigError
from kexp.config.flat import flat_config
from kexp.runs.directory import RunLock, check_same_config, claim_directory
from kexp.config.flat import run_config
from tests.conftest import compose_config


def test_runs_started_in_the_same_second_get_their_own_directory(tmp_path):
    first = claim_directory(str(tmp_path / "12-00-00_model=mlp"))
    assert first == str(tmp_path / "12-00-00_model=mlp")
    assert claim_directory(str(tmp_path / "12-00-00_model=mlp")) == first  # same process: same dir
    code = f"from kexp.runs.directory import claim_directory; print(claim_directory({str(tmp_path / '12-00-00_model=mlp')!r}))"
    others = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
              .stdout.strip() for _ in range(2)]
    assert others == [f"{first}-2", f"{first}-3"]


def test_a_directory_in_use_is_refused_to_another_process_naming_it(tmp_path):
    lock = RunLock.acquire(tmp_path)
    assert RunLock.acquire(tmp_path) is lock  # this process may ask again
    code = (f"from kexp.runs.directory import RunLock\n"
            f"try:\n    RunLock.acquire({str(tmp_path)!r})\n"
            f"except Exception as err:\n    print(err)\n")
    refused = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    import os
    import socket

    assert refused.strip() == (f"hydra.run.dir={tmp_path} — in use by process {os.getpid()} on "
                               f"{socket.gethostname()}; wait for it to end or choose another directory (resume=never starts a new run)")
    lock.release()
    freed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert freed == ""


def test_a_rerun_with_other_values_is_refused_naming_the_keys(tmp_path):
    base = ["trainer.epochs=4", "model=mlp"]
    check_same_config(run_config(compose_config(base)), tmp_path, completed_epochs=0)
    check_same_config(run_config(compose_config(base)), tmp_path, completed_epochs=2)  # the same: fine
    with pytest.raises(ConfigError) as err:
        check_same_config(run_config(compose_config([*base, "optimizer.learning_rate=0.1", "seed=3"])), tmp_path, 2)
    assert err.value.one_line() == (
        f"kexp: config error: hydra.run.dir={tmp_path} — holds a run with another config: "
        "optimizer.learning_rate=0.1 (was 0.0003), seed=3 (was 0); rerun with the same values to "
        "resume, or use a new directory")
    # training longer is allowed, and remembered; shorter than what is trained is not
    check_same_config(run_config(compose_config([*base[1:], "trainer.epochs=6"])), tmp_path, 2)
    check_same_config(run_config(compose_config([*base[1:], "trainer.epochs=6"])), tmp_path, 2)
    with pytest.raises(ConfigError, match=r"trainer.epochs=1 \(was 6\)"):
        check_same_config(run_config(compose_config([*base[1:], "trainer.epochs=1"])), tmp_path, 2)
    with pytest.raises(ConfigError, match=r"trainer.epochs=9 \(was 6\)"):  # a finished run
        check_same_config(run_config(compose_config([*base[1:], "trainer.epochs=9"])), tmp_path, 6, may_extend=False)


def test_a_cosine_run_may_train_longer_its_horizon_follows_but_not_when_set_apart(tmp_path):
    """schedule.epochs is ${trainer.epochs} in schedule=cosine: resolved into the stored config,
    it changed with trainer.epochs and the longer rerun was refused (issue 23)."""
    base = ["model=mlp", "schedule=cosine"]
    check_same_config(run_config(compose_config([*base, "trainer.epochs=4"])), tmp_path, completed_epochs=0)
    check_same_config(run_config(compose_config([*base, "trainer.epochs=8"])), tmp_path, completed_epochs=2)
    stored = (tmp_path / ".kexp" / "config.yaml").read_text()
    assert "schedule.epochs: 8" in stored and "trainer.epochs: 8" in stored
    # a horizon set on its own is a value of its own: changing it is another config
    other = tmp_path / "other"
    check_same_config(run_config(compose_config([*base, "trainer.epochs=4", "schedule.epochs=10"])), other, 0)
    with pytest.raises(ConfigError, match=r"schedule.epochs=12 \(was 10\)"):
        check_same_config(run_config(compose_config([*base, "trainer.epochs=4", "schedule.epochs=12"])), other, 2)


def test_flat_config_has_dotted_keys_and_no_hydra_node():
    flat = flat_config(compose_config(["model=mlp"]))
    assert flat["model.hidden_units"] == [512, 256] and flat["trainer.checkpoint.best"] is False
    assert not any(k.startswith("hydra") for k in flat)


def test_a_run_started_with_the_old_default_initialiser_resumes_under_the_new_one(tmp_path):
    """kexp 0.2 made He the ReLU nets' default (renamed.DEFAULT_CHANGED): a run stored with
    glorot_uniform resumes with today's default; the other way round is another config."""
    check_same_config(run_config(compose_config(["model=mlp", "model.kernel_initializer=glorot_uniform"])), tmp_path, 0)
    check_same_config(run_config(compose_config(["model=mlp"])), tmp_path, completed_epochs=2)
    other = tmp_path / "other"
    check_same_config(run_config(compose_config(["model=mlp"])), other, 0)
    with pytest.raises(ConfigError, match=r"model.kernel_initializer=glorot_uniform \(was he\)"):
        check_same_config(run_config(compose_config(["model=mlp", "model.kernel_initializer=glorot_uniform"])), other, 2)
