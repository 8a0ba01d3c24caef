"""JAX's persistent compilation cache, turned on by kexp (kexp.backends.jax.use_compilation_cache)."""

import os
import subprocess
import sys

import pandas as pd

from tests.conftest import REPO, kexp_with

#: Counts JAX's own events: a program loaded from the persistent cache instead of compiled.
COUNT_CACHE_HITS = """
import atexit, jax.monitoring
hits = []
jax.monitoring.register_event_listener(
    lambda event, **_: hits.append(event) if event == "/jax/compilation_cache/cache_hits" else None)
atexit.register(lambda: print("cache hits", len(hits)))
"""

RUN = ["model=mlp", "model.hidden_units=[8]", "data.train_size=100", "data.test_size=50", "trainer.epochs=1"]


def cache_hits(result) -> int:
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.splitlines()[-1]
    assert last.startswith("cache hits "), result.stdout[-500:]
    return int(last.split()[-1])


def test_a_second_run_on_jax_loads_its_programs_from_kexps_cache(tmp_path, monkeypatch):
    """The first run compiles and fills ``$KEXP_CACHE_DIR/jax`` (saying where), the same run again
    loads what it needs from there and trains to the same numbers; ``JAX_ENABLE_COMPILATION_CACHE=false``
    (JAX's own switch) turns it off."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv("KEXP_CACHE_DIR", str(cache))
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    assert cache_hits(kexp_with(COUNT_CACHE_HITS, [*RUN, "hydra.run.dir=first"], tmp_path)) == 0
    programs = {p.name for p in (cache / "jax").iterdir()}
    assert len(programs) > 20, programs  # (the training step, and each operation Keras ran eagerly)
    assert f"JAX compilation cache: {cache / 'jax'}" in (tmp_path / "first" / "kexp.log").read_text()
    hits = cache_hits(kexp_with(COUNT_CACHE_HITS, [*RUN, "hydra.run.dir=second"], tmp_path))
    assert hits > 20, hits
    assert {p.name for p in (cache / "jax").iterdir()} >= programs
    first, second = (pd.read_csv(tmp_path / run / "history.csv") for run in ("first", "second"))
    pd.testing.assert_frame_equal(first.drop(columns="epoch_seconds"), second.drop(columns="epoch_seconds"))
    monkeypatch.setenv("JAX_ENABLE_COMPILATION_CACHE", "false")
    assert cache_hits(kexp_with(COUNT_CACHE_HITS, [*RUN, "hydra.run.dir=off"], tmp_path)) == 0
    assert "JAX compilation cache: off (JAX_ENABLE_COMPILATION_CACHE=false)" in (tmp_path / "off" / "kexp.log").read_text()


USERS_CACHE = """
import sys
from pathlib import Path
import jax
from kexp.backends.jax import use_compilation_cache
print(use_compilation_cache(Path(sys.argv[1])), jax.config.values["jax_persistent_cache_min_compile_time_secs"])
"""


def test_a_cache_the_user_configured_for_jax_is_left_as_it_is(tmp_path):
    """``JAX_COMPILATION_CACHE_DIR`` set: JAX's folder and JAX's settings (kexp's folder is not made)."""
    env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "theirs")}
    result = subprocess.run([sys.executable, "-c", USERS_CACHE, str(tmp_path / "kexps")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [str(tmp_path / "theirs"), "1.0"]
    assert not (tmp_path / "kexps").exists()


def test_a_jax_switch_that_is_not_a_truth_value_is_one_line(tmp_path, monkeypatch):
    """JAX raises as it is imported when one of its switches reads ``maybe``: kexp says it in one line."""
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv("JAX_ENABLE_COMPILATION_CACHE", "maybe")
    result = kexp_with("", [*RUN, "hydra.run.dir=run"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "kexp: config error: JAX_ENABLE_COMPILATION_CACHE=maybe — not a truth value; "
        "JAX reads true/false, 1/0, yes/no or on/off"), result.stderr[-2000:]
