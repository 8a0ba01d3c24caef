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
    asked = kexp_in("", [*args, "hydra.run.dir=loud"], tmp_path, env={"TF_CPP_MIN_LOG_LEVEL": "0"})
    assert asked.returncode == 0 and "I0000" in asked.stderr  # the user's own setting wins
