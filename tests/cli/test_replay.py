"""python -m kexp.replay: a finished run's command again, verified against its history."""

import subprocess
import sys

import pandas as pd
import pytest
import yaml

from tests.conftest import TINY_CNN, kexp_in_process


def test_a_deterministic_run_replays_identically_and_bad_input_is_one_line(tmp_path):
    args = [*TINY_CNN, "data.train_size=120", "data.test_size=40", "trainer.epochs=2",
            "trainer.deterministic=true", "trainer.save_model=false", "hydra.run.dir=first"]
    assert kexp_in_process(args, tmp_path).returncode == 0
    replay = subprocess.run([sys.executable, "-m", "kexp.replay", "first", "--verify", "--out", "again"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert replay.returncode == 0, replay.stderr[-3000:]
    assert "kexp.replay: history identical" in replay.stdout
    facts = yaml.safe_load((tmp_path / "again" / "replay.yaml").read_text())
    assert facts["verdict"] == "identical" and set(facts["max_abs_diff"]) >= {"loss", "val_accuracy"}
    assert "trainer.deterministic=true" in facts["overrides"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / "history.csv").drop(columns="epoch_seconds"),
                                  pd.read_csv(tmp_path / "first" / "history.csv").drop(columns="epoch_seconds"))
    (tmp_path / "empty").mkdir()
    bad = subprocess.run([sys.executable, "-m", "kexp.replay", "empty"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "kexp: replay error: empty — not a finished kexp run (metrics.csv with status ok and .hydra/ are needed)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "empty", "first"]


def test_a_sweep_replays_from_its_multirun_yaml_job_by_job(tmp_path):
    args = ["-m", *TINY_CNN, "data.train_size=100", "data.test_size=30", "trainer.epochs=1", "seed=0,1",
            "trainer.deterministic=true", "trainer.save_model=false", "hydra.sweep.dir=sweep"]
    assert kexp_in_process(args, tmp_path).returncode == 0
    replay = subprocess.run([sys.executable, "-m", "kexp.replay", "sweep", "--verify", "--out", "again"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert replay.returncode == 0, replay.stderr[-3000:]
    facts = yaml.safe_load((tmp_path / "again" / "replay.yaml").read_text())
    assert facts["verdict"] == "identical" and sorted(facts["jobs"]) == ["0", "1"]
    assert "seed=0,1" in facts["overrides"] and (tmp_path / "again" / "summary.csv").is_file()


def test_a_run_that_is_not_deterministic_is_judged_by_its_seeds(tmp_path, monkeypatch, capsys):
    """Seeds 0, 1, 2 of a configuration in a sweep (best val 0.90, 0.92, 0.94); replaying seed 0 gives a
    different history: 0.93 is within their 95 % prediction interval (exit 0), 0.70 is not (exit 1)."""
    from kexp.replay import cli as replay
    from tests.reporting.compare.fake_runs import make_run

    sweep = tmp_path / "sweep"
    for seed, value in enumerate([0.90, 0.92, 0.94]):
        make_run(sweep / str(seed), ["model=cnn", f"seed={seed}"], seed=seed,
                 config={"seed": seed, "trainer": {"deterministic": False}}, metrics={"best_val_accuracy": value})
    (sweep / "multirun.yaml").write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    real_run = subprocess.run
    for replayed, verdict, code in ((0.93, "within seed spread", 0), (0.70, "outside seed spread", 1)):
        out = tmp_path / f"again-{replayed}"

        def fake_run(command, *args, value=replayed, out=out, **kwargs):
            if command[1:3] != ["-m", "kexp"]:  # (git and the like: as they are)
                return real_run(command, *args, **kwargs)
            make_run(out, ["model=cnn", "seed=0"], seed=7, metrics={"best_val_accuracy": value})  # the replay
            return subprocess.CompletedProcess(command, 0)

        monkeypatch.setattr(subprocess, "run", fake_run)
        assert replay.main([str(sweep / "0"), "--verify", "--out", str(out)]) == code
        facts = yaml.safe_load((out / "replay.yaml").read_text())
        assert facts["verdict"] == verdict and facts["seed_spread"]["seeds"] == 3
        assert facts["seed_spread"]["seed_values"] == [0.90, 0.92, 0.94]
        assert f"kexp.replay: history {verdict}" in capsys.readouterr().out


def test_seeds_that_nothing_would_read_are_one_line_and_nothing_runs(tmp_path, monkeypatch, capsys):
    """``--seeds`` judges only a single run's ``--verify`` verdict: elsewhere, empty, or naming no
    directory it is refused before the run starts again (exit 2, no directory written)."""
    from kexp.replay import cli as replay
    from tests.reporting.compare.fake_runs import make_run

    run, sweep = make_run(tmp_path / "run", ["model=cnn"]), make_run(tmp_path / "sweep" / "0", ["seed=0"]).parent
    (sweep / "multirun.yaml").write_text("{}\n")
    (tmp_path / "a_file").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("the run was started"))
    cases = [([str(run), "--seeds", str(sweep)], f"--seeds {sweep} — not read: they judge --verify's verdict; add --verify"),
             ([str(sweep), "--verify", "--seeds", str(run)], "— not read: a sweep is verified job by job"),
             ([str(run), "--verify", "--seeds"], "--seeds — needs run or sweep directories at other seeds"),
             ([str(run), "--seeds", "-1", "--verify"], "--seeds -1 — no such directory"),
             ([str(run), "--verify", "--seeds", "a_file"], "--seeds a_file — not a directory")]
    for argv, message in cases:
        assert replay.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("kexp: replay error: ") and err.endswith(message) and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "run", "sweep"]
