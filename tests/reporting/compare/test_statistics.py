"""Statistics in every comparison, against scipy.stats on run directories with known values."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kexp.reporting.compare import compare
from kexp.reporting.compare.runs import find_runs
from kexp.reporting.compare.statistics import holm, seed_statistics, seeds_for_power
from kexp.reporting.compare.table import summary_table
from tests.reporting.compare.fake_runs import make_run

#: best validation accuracy of each seed: A is best, B close to it, C clearly worse
VALUES = {"adam": [0.90, 0.92, 0.91, 0.93], "nadam": [0.89, 0.93, 0.90, 0.92], "sgd": [0.70, 0.72, 0.69, 0.71]}


def sweep(root):
    for optimizer, values in VALUES.items():
        for seed, value in enumerate(values):
            make_run(root / f"{optimizer}{seed}", [f"optimizer={optimizer}", f"seed={seed}"], seed=seed,
                     metrics={"best_val_accuracy": value})
    return find_runs([root])


def test_intervals_tests_and_the_tied_group_equal_scipys(tmp_path):
    table = summary_table(sweep(tmp_path))
    result = seed_statistics(table, ["optimizer"], "best_val_accuracy", smaller_is_better=False).set_index("optimizer")
    assert list(result.index) == ["adam", "nadam", "sgd"]  # best mean first
    for name, values in VALUES.items():
        low, high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
        assert result.at[name, "mean"] == pytest.approx(np.mean(values), abs=1e-9)
        assert result.at[name, "std"] == pytest.approx(np.std(values, ddof=1), abs=1e-9)
        assert (result.at[name, "ci_low"], result.at[name, "ci_high"]) == (pytest.approx(low, abs=1e-9),
                                                                           pytest.approx(high, abs=1e-9))
    raw = {name: stats.ttest_ind(VALUES[name], VALUES["adam"], equal_var=False).pvalue for name in ("nadam", "sgd")}
    small, large = sorted(raw, key=raw.get)  # Holm: the smaller p times 2, the larger times 1, kept monotone
    assert result.at[small, "p_vs_best"] == pytest.approx(min(1, 2 * raw[small]), abs=1e-9)
    assert result.at[large, "p_vs_best"] == pytest.approx(max(min(1, 2 * raw[small]), raw[large]), abs=1e-9)
    assert result["tied"].tolist() == [True, True, False]  # nadam cannot be told from adam; sgd is worse
    assert result.at["sgd", "p_beats_best"] == 0.0 and 0.2 < result.at["nadam", "p_beats_best"] < 0.5
    assert math.isnan(result.at["adam", "p_vs_best"])


def test_seeds_for_power_is_where_the_noncentral_t_reaches_80_percent():
    a, b = np.array(VALUES["adam"]), np.array(VALUES["nadam"])
    n = int(seeds_for_power(b, a))
    d = abs(a.mean() - b.mean()) / math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)

    def power(n):
        df, critical = 2 * n - 2, stats.t.ppf(0.975, 2 * n - 2)
        return stats.nct.sf(critical, df, d * math.sqrt(n / 2)) + stats.nct.cdf(-critical, df, d * math.sqrt(n / 2))

    assert power(n) >= 0.8 > power(n - 1)
    assert seeds_for_power(np.array([0.7, 0.71]), np.array([0.9, 0.91])) <= 3  # a large effect: few seeds
    assert seeds_for_power(np.array([0.9, 0.92]), np.array([0.92, 0.9])) == math.inf  # no difference


def test_holm_matches_the_textbook_example():
    # Holm (1979) step-down: sorted p 0.01, 0.04, 0.03 → 0.03, 0.06, 0.06 (monotone)
    assert holm({"a": 0.01, "b": 0.04, "c": 0.03}) == pytest.approx({"a": 0.03, "b": 0.06, "c": 0.06})


def test_the_summary_and_report_say_what_can_be_claimed(tmp_path):
    sweep(tmp_path / "sweep")
    written = compare([tmp_path / "sweep"], tmp_path / "out")
    markdown = written["summary.md"].read_text()
    assert "Best best_val_accuracy: optimizer=adam, 0.9150 (95 % CI" in markdown
    assert "Not distinguishable from it at α = 0.05 (Welch, Holm-corrected): optimizer=nadam" in markdown
    assert "Worse than it at α = 0.05: optimizer=sgd" in markdown
    assert "p_vs_best" in markdown and "seeds_for_power" in written["report.html"].read_text()
    # one seed per configuration: no claim, and how to add seeds
    for name in ("adam", "sgd"):
        run = make_run(tmp_path / "single" / name, [f"optimizer={name}"], metrics={"best_val_accuracy": 0.5})
        (run / "run.yaml").write_text("command: python -m kexp -m optimizer=adam,sgd hydra.sweep.dir=/x/single\n")
    single = compare([tmp_path / "single"], tmp_path / "out1")["summary.md"].read_text()
    assert ("One run per configuration: no claim about best_val_accuracy can be made — add seeds: "
            "python -m kexp -m optimizer=adam,sgd seed=0,1,2,3,4") in single
    assert pd.read_csv(tmp_path / "out1" / "summary.csv")["optimizer"].tolist() == ["adam", "sgd"]
    # every seed of every configuration failed: not "one run per configuration"
    for name in ("adam", "sgd"):
        for seed in (0, 1):
            make_run(tmp_path / "failed" / f"{name}{seed}", [f"optimizer={name}", f"seed={seed}"], status="diverged",
                     metrics={"best_val_accuracy": None})
    failed = compare([tmp_path / "failed"], tmp_path / "out2")["summary.md"].read_text()
    assert "No run ended ok (diverged 4): no claim about best_val_accuracy can be made" in failed
    assert "One run per configuration" not in failed
    # a configuration whose every seed diverged is named, not left out of the head in silence
    for seed in (0, 1):
        make_run(tmp_path / "half" / f"adam{seed}", ["optimizer=adam", f"seed={seed}"], seed=seed)
        make_run(tmp_path / "half" / f"sgd{seed}", ["optimizer=sgd", f"seed={seed}"], status="diverged",
                 metrics={"best_val_accuracy": None})
    half = compare([tmp_path / "half"], tmp_path / "out3")["summary.md"].read_text()
    assert "Best best_val_accuracy: optimizer=adam" in half
    assert "No run ended ok with best_val_accuracy, not compared: optimizer=sgd (diverged 2)" in half
