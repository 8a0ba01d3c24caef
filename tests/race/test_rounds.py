"""The race's rounds through a launcher: a whole round in one launch (what lets joblib, submitit or
Ray run it in parallel), jobs numbered without gaps, paired seeds, a failed run out of the race."""

import math
from types import SimpleNamespace

import yaml

from kexp.race.decision import RaceSettings
from kexp.race.run import Race, run_race


class Launcher:
    """Hydra's launcher interface: ``launch(job overrides, initial_job_idx)`` → returns; values by formula."""

    def __init__(self, means: dict[str, float], fails: str = "") -> None:
        self.means, self.fails, self.calls = means, fails, []

    def launch(self, overrides, initial_job_idx):
        self.calls.append((initial_job_idx, [list(o) for o in overrides]))
        returns = []
        for job in overrides:
            config, seed = job[0], int(job[-1].split("=")[1])
            noise = 0.02 * ((seed * 7 + 3 * list(self.means).index(config)) % 5)  # (varies by seed and config)
            value = math.nan if config == self.fails else self.means[config] + noise
            returns.append(SimpleNamespace(return_value=value))
        return returns


def test_each_round_is_one_launch_of_the_survivors_on_the_same_new_seeds(tmp_path):
    means = {"lr=0.1": 0.9, "lr=0.01": 0.6, "lr=0.001": 0.3, "lr=1": 0.9}
    launcher = Launcher(means, fails="lr=1")
    race = Race([[c, "trainer.epochs=2"] for c in means], RaceSettings(max_seeds=6, first_seeds=3), base_seed=10)
    summary = run_race(race, launcher, tmp_path)
    first_index, first = launcher.calls[0]
    assert first_index == 0 and len(first) == 12  # every configuration on seeds 10, 11, 12 at once
    assert {tuple(job) for job in first} >= {("lr=0.1", "trainer.epochs=2", "seed=10"), ("lr=1", "trainer.epochs=2", "seed=12")}
    numbers = [index for index, _ in launcher.calls]
    assert numbers == [sum(len(jobs) for _, jobs in launcher.calls[:i]) for i in range(len(launcher.calls))]
    # the clear losers are dropped when the paired test is sure enough; the failed configuration at once
    looks = yaml.safe_load((tmp_path / "race.yaml").read_text())
    assert looks == summary and summary["left"] == ["lr=0.1"] and summary["stop"] == "winner"
    assert summary["runs"] == sum(len(jobs) for _, jobs in launcher.calls) < 4 * 6
    later = [jobs for _, jobs in launcher.calls[1:]]
    assert all(job[0] != "lr=1" for jobs in later for job in jobs)  # (its runs did not end ok)
    lines = (tmp_path / "race.csv").read_text()
    assert "its run on seed 10 did not end ok" in lines

