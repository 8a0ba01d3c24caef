"""The first screen: no plugin warnings without the optional extras, no TensorFlow C++ start-up lines."""

import os
import subprocess
import sys

from tests.conftest import REPO, TINY_CNN

# As a machine without the sweep extra: only kexp's own hydra_plugins folder is scanned, and
# Optuna cannot be imported.
WITHOUT_SWEEP_EXTRA = f"""
import sys
import hydra_plugins
hydra_plugins.__path__ = [{str(REPO / "hydra_plugins")!r}]
sys.modules["optuna"] = None
"""


def kexp_in(code: str, args: list[str], cwd, env=None) -> subprocess.CompletedProcess:
    program = f"import sys\n{code}\nfrom kexp.cli.main import main\nsys.argv = ['kexp', *{args!r}]\nmain()\n"
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    environment.update({"PYTHONPATH": str(REPO), **(env or {})})
    return subprocess.run([sys.executable, "-c", program], cwd=cwd, capture_output=True, text=True,
                          env=environment, timeout=600)


def test_without_the_sweep_extra_nothing_is_printed_and_optuna_is_refused_in_one_line(tmp_path):
    shown = kexp_in(WITHOUT_SWEEP_EXTRA, ["--help"], tmp_path)
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    refused = kexp_in(WITHOUT_SWEEP_EXTRA, ["-m", "hparams_search=optuna"], tmp_path)
    assert refused.returncode == 2 and refused.stderr.strip() == (
        "kexp: config error: hparams_search=optuna — needs optuna, not installed: pip install 'kexp[sweep]'")


def test_a_run_prints_no_tensorflow_start_up_lines_unless_asked(tmp_path):
    args = [*TINY_CNN, "data.train_size=100", "trainer.epochs=1", "trainer.save_model=false"]
    quiet = kexp_in("", [*args, "hydra.run.dir=quiet"], tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    for noise in ("I0000", "E0000", "oneDNN", "cpu_feature_guard", "absl::InitializeLog", "Error importing"):
        assert noise not in quiet.stderr + quiet.stdout, noise
    assert "kexp: run directory" in quiet.stdout
    assert " parameters, 1 epoch, " in quiet.stdout  # (once "1 epochs")
    asked = kexp_in("", [*args, "hydra.run.dir=loud"], tmp_path, env={"TF_CPP_MIN_LOG_LEVEL": "0"})
    assert asked.returncode == 0 and "I0000" in asked.stderr  # the user's own setting wins


NOISE = ("I0000", "E0000", "oneDNN", "cudart_stub", "cuInit", "absl::InitializeLog", "retracing")


def quiet_python(code: str, cwd, env=None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    environment.update({"PYTHONPATH": str(REPO), **(env or {})})
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env=environment, timeout=600)


def test_the_other_entry_points_print_no_start_up_lines_either(tmp_path):
    """Once: kexp.lr_find and a JAX run printed TensorFlow's lines (Keras seeded TensorFlow on JAX,
    importing it; now only TensorBoard's summaries import it there), and a notebook's
    Result.load_model() CUDA's "failed call to cuInit"."""
    small = ["model=mlp", "model.hidden_units=[8]", "data.train_size=100", "trainer.epochs=1"]
    on_jax = kexp_in("", [*small, "logger=tensorboard", "hydra.run.dir=jax"], tmp_path,
                     env={"KERAS_BACKEND": "jax"})
    assert on_jax.returncode == 0, on_jax.stderr
    assert list((tmp_path / "jax" / "tensorboard" / "train").glob("events.out.tfevents.*"))
    lr_find = quiet_python(f"import sys\nfrom kexp.lr_find.cli import main\nsys.exit(main({small[:3]!r}))", tmp_path)
    assert lr_find.returncode == 0, lr_find.stderr
    loaded = quiet_python("from pathlib import Path\nfrom kexp.api.results import Result\nResult(Path('jax')).load_model()", tmp_path,
                          env={"KERAS_BACKEND": "jax"})
    assert loaded.returncode == 0, loaded.stderr
    for result in (on_jax, lr_find, loaded):
        for noise in NOISE:
            assert noise not in result.stderr + result.stdout, (noise, result.stderr[:500])
