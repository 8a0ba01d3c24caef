"""An installed wheel finds its configs from any directory (conf/ shipped as kexp/conf)."""

import os
import subprocess
import sys
import zipfile

from kexp.config.location import config_dir
from tests.conftest import REPO, TINY_CNN, TINY_DATA, run_kexp


def test_source_checkout_uses_the_top_level_conf():
    assert config_dir() == REPO / "conf"


def test_wheel_ships_conf_and_runs_from_another_directory(tmp_path):
    dist, site, elsewhere = tmp_path / "dist", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("kexp-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "kexp/conf/config.yaml" in names and "kexp/conf/model/cnn.yaml" in names
    assert "hydra_plugins/kexp_optuna_sweeper/kexp_optuna_sweeper.py" in names  # hparams_search=optuna
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    env = {"PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import kexp.config.location as c; print(c.config_dir())"],
                           cwd=elsewhere, env={**os.environ, **env}, capture_output=True, text=True)
    assert where.stdout.strip() == str(site / "kexp" / "conf")
    result = run_kexp([*TINY_CNN, *TINY_DATA, "trainer.epochs=1", "hydra.run.dir=run"], elsewhere, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (elsewhere / "run" / "metrics.csv").is_file()
