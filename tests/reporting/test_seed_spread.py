"""A replay that is not identical is judged by its seeds: the 95 % prediction interval of one more run."""

import math

import numpy as np
import pytest
from scipy import stats

from kexp.replay.seed_spread import judge, prediction_interval, seed_values
from tests.reporting.compare.fake_runs import make_run

VALUES = [0.90, 0.92, 0.94]  # best_val_accuracy of seeds 0, 1, 2 of model=cnn


def sweep(root):
    for seed, value in enumerate(VALUES):
        make_run(root / str(seed), ["model=cnn", f"seed={seed}"], metrics={"best_val_accuracy": value})
    make_run(root / "3", ["model=mlp", "seed=0"], metrics={"best_val_accuracy": 0.5})  # another configuration
    (root / "multirun.yaml").write_text("{}\n")
    return root


def test_the_interval_is_students_prediction_interval():
    low, high = prediction_interval(VALUES)
    half = stats.t.ppf(0.975, 2) * np.std(VALUES, ddof=1) * math.sqrt(1 + 1 / 3)
    assert (low, high) == pytest.approx((0.92 - half, 0.92 + half), abs=1e-12)


@pytest.mark.parametrize("replayed, verdict", [(0.93, "within seed spread"), (0.80, "outside seed spread")])
def test_a_replay_is_within_or_outside_its_seeds(tmp_path, replayed, verdict):
    root = sweep(tmp_path / "sweep")
    assert sorted(seed_values(root / "0", [root], "best_val_accuracy")) == VALUES  # (the mlp is not a cnn's seed)
    new = make_run(tmp_path / "new", ["model=cnn", "seed=0"], metrics={"best_val_accuracy": replayed})
    judged = judge(root / "0", new, [root])
    assert judged["verdict"] == verdict and judged["seeds"] == 3 and judged["replayed"] == replayed


def test_without_other_seeds_nothing_is_claimed(tmp_path):
    alone = make_run(tmp_path / "alone", ["model=cnn"], metrics={"best_val_accuracy": 0.9})
    assert judge(alone, alone, [])["verdict"] == "seeds unknown"


def test_a_regression_is_judged_by_its_validation_loss(tmp_path):
    """It was judged by the accuracy it does not have: "seeds unknown" with three seeds there."""
    regression = {"task": {"name": "regression"}, "objective": "auto"}
    for seed, loss in enumerate([30.0, 32.0, 34.0]):
        make_run(tmp_path / "sweep" / str(seed), [f"seed={seed}"], config=regression,
                 metrics={"best_val_accuracy": None, "best_val_loss": loss})
    new = make_run(tmp_path / "new", ["seed=0"], config=regression, metrics={"best_val_loss": 31.0})
    judged = judge(tmp_path / "sweep" / "0", new, [tmp_path / "sweep"])
    assert judged["verdict"] == "within seed spread" and judged["metric"] == "best_val_loss" and judged["seeds"] == 3
