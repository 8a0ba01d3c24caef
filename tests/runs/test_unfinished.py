"""Which run a plain rerun of a command resumes (the end-to-end case with real signals is in
tests/training/test_trainer.py)."""

import os
from pathlib import Path

import yaml
from omegaconf import OmegaConf

from kexp.config.flat import flat_config
from kexp.runs.unfinished import find_unfinished_run, output_root
from kexp.config.flat import run_config
from tests.conftest import compose_config


def make_run(root: Path, name: str, cfg, *, finished: bool = False, backup_epochs: int = 0, age: int = 0) -> Path:
    run = root / "outputs" / "2026-12-04" / name
    (run / ".kexp").mkdir(parents=True)
    (run / ".kexp" / "config.yaml").write_text(yaml.safe_dump(flat_config(cfg)))
    if finished:
        (run / "metrics.csv").write_text("status\nok\n")
    if backup_epochs:
        (run / "backup" / f"epoch-{backup_epochs:04d}").mkdir(parents=True)
        (run / "metrics.csv").write_text("status\ninterrupted\n")
    stamp = 1_800_000_000 - age
    os.utime(run / ".kexp" / "config.yaml", (stamp, stamp))
    return run


def test_the_newest_unfinished_run_of_the_same_config_is_resumed_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = compose_config(["model=mlp", "trainer.epochs=10"])
    other = compose_config(["model=mlp", "trainer.epochs=10", "optimizer.learning_rate=0.1"])
    make_run(tmp_path, "older", cfg, backup_epochs=2, age=100)
    newest = make_run(tmp_path, "newer", cfg, backup_epochs=3, age=50)
    make_run(tmp_path, "finished", cfg, finished=True, age=0)  # ended ok: never picked
    make_run(tmp_path, "other", other, backup_epochs=4, age=0)  # another config
    killed = tmp_path / "outputs" / "multirun" / "2026-12-04" / "10-00-00" / "0"  # a sweep's job
    (killed / ".kexp").mkdir(parents=True)
    (killed / ".kexp" / "config.yaml").write_text(yaml.safe_dump(flat_config(cfg)))
    assert find_unfinished_run(run_config(cfg), []) == Path("outputs/2026-12-04/newer")
    assert (tmp_path / find_unfinished_run(run_config(cfg), [])).resolve() == newest.resolve()

    longer = compose_config(["model=mlp", "trainer.epochs=20"])  # an unfinished run may train longer
    assert find_unfinished_run(run_config(longer), []) == Path("outputs/2026-12-04/newer")
    shorter = compose_config(["model=mlp", "trainer.epochs=2"])  # ...but not shorter than trained
    assert find_unfinished_run(run_config(shorter), []) == Path("outputs/2026-12-04/older")

    assert find_unfinished_run(run_config(compose_config(["model=mlp", "trainer.epochs=10", "resume=never"])), []) is None
    assert find_unfinished_run(run_config(cfg), ["hydra.run.dir=somewhere"]) is None  # the command names its directory
    # a run killed before it wrote metrics.csv counts as unfinished
    killed_early = make_run(tmp_path, "killed", cfg, age=10)
    assert find_unfinished_run(run_config(cfg), []) == killed_early.relative_to(tmp_path)


def test_the_output_root_is_the_fixed_part_of_the_run_directory_template():
    assert output_root([]) == Path("outputs")
    assert output_root(["hydra.run.dir=runs/${now:%H-%M-%S}"]) == Path("runs")
    assert output_root(["hydra.run.dir=runs/exp_${now:%H-%M-%S}"]) == Path("runs")
    assert OmegaConf.select(compose_config([]), "resume") == "auto"
