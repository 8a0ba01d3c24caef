"""hydra/sweeper=race end to end: real runs, a clear loser dropped after the first round, the race's
record, the comparison that shows it, and the same command continuing (not repeating) the race."""

import pandas as pd
import yaml

from tests.conftest import kexp_in_process

RACE = ["-m", "model=mlp", "model.hidden_units=[32]", "data.train_size=200", "data.test_size=60",
        "trainer.epochs=2", "trainer.save_model=false", "optimizer.learning_rate=0.003,0.00001",
        "hydra/sweeper=race", "hydra.sweeper.max_seeds=4", "hydra.sweep.dir=race"]


def test_a_clear_loser_is_dropped_after_the_first_round_and_the_race_continues_where_it_stopped(tmp_path):
    result = kexp_in_process(RACE, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    sweep = tmp_path / "race"
    race = yaml.safe_load((sweep / "race.yaml").read_text())
    # a learning rate 300x too small trains nothing in two epochs: out after the first 3 seeds
    assert race["stop"] == "winner" and race["left"] == ["optimizer.learning_rate=0.003"]
    assert (race["runs"], race["full_grid_runs"], race["seeds"]) == (6, 8, 3)
    assert "probability ≥ 0.95" in race["confidence"]
    looks = pd.read_csv(sweep / "race.csv")
    assert looks["status"].tolist() == ["winner", "dropped"] and looks["seeds"].tolist() == [3, 3]
    assert looks["reason"].iloc[1].startswith("worse than optimizer.learning_rate=0.003: p ")
    assert looks["p_value"].iloc[1] <= looks["threshold"].iloc[1]
    # every configuration ran the same seeds 0, 1, 2 (paired), one run directory each
    summary = pd.read_csv(sweep / "summary.csv")
    assert sorted(summary["seed"].tolist()) == [0, 0, 1, 1, 2, 2]
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir() and p.name.isdigit()) == list("012345")
    assert "Race: one configuration is left: optimizer.learning_rate=0.003 after 3 seeds" in \
        (sweep / "summary.md").read_text()
    assert "It ran 6 of the full grid&#x27;s 8 runs (2 saved)" in (sweep / "report.html").read_text()
    assert "kexp: race: one configuration is left" in result.stdout
    # the same command again: every run is found finished, the same decision, nothing trained again
    again = kexp_in_process(RACE, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("already finished ok; skipped") == 6
    assert yaml.safe_load((sweep / "race.yaml").read_text()) == race


def test_a_race_that_cannot_run_is_one_line_before_anything_runs(tmp_path):
    from tests.conftest import preflight_error

    base = ["-m", "model=cnn,mlp", "hydra/sweeper=race"]
    assert preflight_error([*base, "hydra.sweeper.alpha=0.7"]) == \
        "kexp: config error: hydra.sweeper.alpha=0.7 — a probability in (0, 0.5], e.g. 0.05"
    assert preflight_error(["-m", "model=cnn", "hydra/sweeper=race"]).startswith(
        "kexp: config error: hydra/sweeper=race — races a grid of configurations, and model=cnn gives one")
    assert preflight_error([*base, "seed=0,1"]).startswith("kexp: config error: seed=0,1 — the race runs the seeds")
    assert preflight_error(["model=cnn", "hydra/sweeper=race"]).startswith(
        "kexp: config error: hydra/sweeper=race — a race, which runs with -m")
    assert preflight_error([*base, "objective=[val_accuracy,parameters]"]).endswith("a race takes one objective")
    assert preflight_error([*base, "seed=3"]) == ""  # (the first seed: 3, 4, 5, ...)
    for typo in ("hydra.sweeper.alpah=0.1", "+hydra.sweeper.alpah=0.1"):  # (added, nothing would read it)
        assert preflight_error([*base, typo]).endswith("did you mean hydra.sweeper.alpha?"), typo
    # (its hint was "to add a new key write +hydra.sweeper.min_seeds=2", which the race then refused)
    assert preflight_error([*base, "hydra.sweeper.min_seeds=2"]).endswith(
        "unknown key 'min_seeds'; hydra.sweeper has: _target_, alpha, max_seeds, first_seeds, seeds_per_round, "
        "margin, objective, task, seed")
    for not_a_number in ("hydra.sweeper.max_seeds=abc", "hydra.sweeper.alpha=abc", "hydra.sweeper.max_seeds=inf"):
        assert preflight_error([*base, not_a_number]) == f"kexp: config error: {not_a_number} — a number"  # (tracebacks)
    # (the race's settings merged into the search's node: once "hydra.sweeper.alpha — not a setting of the search")
    assert preflight_error(["-m", "hparams_search=optuna", "hydra/sweeper=race"]) == (
        "kexp: config error: hydra.sweeper.alpha — a setting of hydra/sweeper=race, not of the Optuna search: a sweep "
        "has one sweeper; choose one")
    result = kexp_in_process([*base, "hydra.sweeper.max_seeds=1", "hydra.sweep.dir=nothing"], tmp_path)
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1] == \
        "kexp: config error: hydra.sweeper.max_seeds=1 — an integer of at least 2"
    assert not (tmp_path / "nothing").exists()
