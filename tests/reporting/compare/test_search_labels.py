"""A search's runs compared: its own bookkeeping (the study's name and storage each trial is
given, reset by a confirmation run) is no configuration, and sampled values are named for people."""

import re

import pandas as pd

from kexp.reporting.compare import compare
from kexp.reporting.compare.plots import configurations, seeds_note
from kexp.reporting.compare.runs import find_runs
from kexp.reporting.compare.table import display_label, short_numbers, swept_keys
from tests.reporting.compare.fake_runs import make_run

RATE = "optimizer.learning_rate=0.004043878009515107"
TRIAL = ["hparams_search.study_name=mlp-adam-digits", "hparams_search.storage='sqlite:////tmp/o.db'"]
CONFIRMATION = ["hparams_search.study_name=${name}-${data.name}", "hparams_search.storage=null"]


def test_a_trial_and_its_confirmation_runs_are_one_configuration_named_by_what_was_sampled(tmp_path):
    sweep = tmp_path / "sweep"
    make_run(sweep / "0", [RATE, *TRIAL], accuracy=0.8, seed=0)
    make_run(sweep / "1", ["optimizer.learning_rate=0.0001402", *TRIAL], accuracy=0.5, seed=0)
    for job, seed in ((2, 1), (3, 2)):
        make_run(sweep / str(job), [RATE, *CONFIRMATION, f"seed={seed}"], accuracy=0.8, seed=seed,
                 config={"seed": seed})
    runs = find_runs([sweep])
    keys = swept_keys(runs)
    assert "optimizer.learning_rate" in keys and not any(k.startswith("hparams_search.") for k in keys)
    groups = configurations(runs, keys)
    assert sorted(len(members) for members in groups.values()) == [1, 3]

    written = compare([sweep], sweep)
    claims = written["summary.md"].read_text()
    assert "optimizer.learning_rate=0.004044" in claims and "3 seeds" in claims
    summary = pd.read_csv(written["summary.csv"])  # (the tables keep every digit)
    assert 0.004043878009515107 in summary["optimizer.learning_rate"].tolist()
    report = written["report.html"].read_text()
    assert "hparams_search.storage" not in report and "${name}" not in report
    headings = re.findall(r"<h2>(Confusion matrix[^<]*)</h2>", report)
    assert all("0.004043878" not in h for h in headings)


def test_long_decimals_shorten_and_dollars_stay_literal_in_figures():
    assert short_numbers("lr=0.004043878009515107, dropout=0.4314131284190417") == "lr=0.004044, dropout=0.4314"
    # what is already short, integers, exponents and digits inside words are left alone
    for text in ("lr=0.001", "batch=32", "lr=1e-4", "lr=0.12345", "run_0.123456"):
        assert short_numbers(text) == text
    assert short_numbers("lr=1.234567890e-05") == "lr=1.235e-05"
    assert display_label("study=${name}-${data.name}") == r"study=\${name}-\${data.name}"


def test_a_curve_gets_its_band_from_three_seeds():
    assert seeds_note(1) == ""
    assert "CI" not in seeds_note(2) and "2 seeds" in seeds_note(2)
    assert "95 % CI of 3 seeds" in seeds_note(3)
