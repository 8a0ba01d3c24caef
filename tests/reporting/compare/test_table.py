"""The summary: swept keys as columns, statuses, ranking, mean ± std over seeds."""

import re
import math

from kexp.reporting.compare.runs import find_runs
import pytest

from kexp.reporting.compare.table import over_seeds, ranked, resolve_metric, summary_table, swept_keys, to_markdown
from tests.reporting.compare.fake_runs import make_run


def sweep(tmp_path):
    make_run(tmp_path / "0", ["model=cnn", "optimizer=sgd", "seed=0"], accuracy=0.7, seed=0)
    make_run(tmp_path / "1", ["model=cnn", "optimizer=sgd", "seed=1"], accuracy=0.72, seed=1)
    make_run(tmp_path / "2", ["model=cnn", "optimizer=adam", "seed=0"], accuracy=0.9, seed=2)
    make_run(tmp_path / "3", ["model=cnn", "optimizer=adam", "seed=1"], accuracy=0.92, seed=3)
    make_run(tmp_path / "10", ["model=cnn", "optimizer=adam", "seed=2"], status="failed", epochs=1,
             error="kexp: data error: boom")
    make_run(tmp_path / "11", ["model=cnn", "optimizer=sgd", "seed=2"], status=None, epochs=2)
    return find_runs([tmp_path])


def test_swept_keys_are_those_that_differ(tmp_path):
    assert swept_keys(sweep(tmp_path)) == ["optimizer", "seed"]


def test_one_row_per_job_in_numeric_order_with_statuses(tmp_path):
    table = summary_table(sweep(tmp_path))
    assert table["job"].tolist() == ["0", "1", "2", "3", "10", "11"]
    assert table["status"].tolist() == ["ok", "ok", "ok", "ok", "failed", "unfinished"]
    assert table.loc[4, "error"] == "kexp: data error: boom"
    assert table.loc[5, "epochs"] == 2 and not math.isnan(table.loc[5, "best_val_accuracy"])
    assert {"optimizer", "seed", "best_val_accuracy", "test_accuracy", "parameters", "dir"} <= set(table)


def test_ranking_puts_the_best_first(tmp_path):
    table = summary_table(sweep(tmp_path))
    best = ranked(table, "best_val_accuracy")
    assert best.iloc[0]["optimizer"] == "adam"
    assert ranked(table, "test_loss")["test_loss"].dropna().is_monotonic_increasing
    assert ranked(table, "test_loss")["job"].iloc[-1] == "11"  # no result: last


def test_the_metric_is_a_result_the_runs_have_and_auto_is_what_they_optimised(tmp_path):
    """``--metric seed`` once ranked the runs by their seed ("Best seed: …, 95 % CI …"), and a regression
    sweep was ranked by the validation accuracy it does not have ("One run per configuration", with 2)."""
    runs = sweep(tmp_path / "classes")
    table = summary_table(runs)
    assert resolve_metric("auto", table, runs) == "best_val_accuracy"
    for setting in ("seed", "optimizer", "job", "status"):
        with pytest.raises(ValueError, match=f"^--metric {setting}: not a result column of the summary; use one of "
                                             "auto, val_accuracy, val_loss,"):
            resolve_metric(setting, table, runs)
    regression = {"task": {"name": "regression"}, "objective": "auto"}
    for job, seed in enumerate((0, 1)):
        make_run(tmp_path / "numbers" / str(job), [f"seed={seed}"], seed=seed, config=regression,
                 metrics={"best_val_accuracy": None, "final_val_accuracy": None, "test_accuracy": None,
                          "best_val_loss": 3000.0 + job})
    runs = find_runs([tmp_path / "numbers"])
    table = summary_table(runs)
    assert resolve_metric("auto", table, runs) == "best_val_loss"
    with pytest.raises(ValueError, match="^--metric val_accuracy: no run has best_val_accuracy; they have "
                                         "best_val_loss, test_loss$"):
        resolve_metric("val_accuracy", table, runs)
    searched = {"task": {"name": "multiclass"}, "objective": "test_accuracy"}
    make_run(tmp_path / "search" / "0", ["seed=0"], config=searched)
    runs = find_runs([tmp_path / "search"])
    assert resolve_metric("auto", summary_table(runs), runs) == "test_accuracy"
    # several objectives (a multi-objective search): the first; one that is no result column: the task's
    for objective, ranked_by in (["val_loss", "parameters"], "best_val_loss"), ("seconds_per_epoch", "best_val_accuracy"):
        make_run(tmp_path / str(objective) / "0", ["seed=0"], config={"task": {"name": "multiclass"},
                                                                       "objective": objective})
        runs = find_runs([tmp_path / str(objective)])
        assert resolve_metric("auto", summary_table(runs), runs) == ranked_by


def test_mean_and_std_over_seeds(tmp_path):
    runs = sweep(tmp_path)
    stats = over_seeds(summary_table(runs), swept_keys(runs)).set_index("optimizer")
    assert stats.loc["adam", "runs"] == 2 and stats.loc["sgd", "runs"] == 2  # ok runs only
    assert stats.loc["adam", "not_ok"] == 1 and stats.loc["sgd", "not_ok"] == 1
    adam = summary_table(runs).query("optimizer == 'adam' and status == 'ok'")["best_val_accuracy"]
    assert math.isclose(stats.loc["adam", "best_val_accuracy_mean"], adam.mean(), rel_tol=1e-9)
    assert math.isclose(stats.loc["adam", "best_val_accuracy_std"], adam.std(), rel_tol=1e-9)


def test_markdown_table():
    import pandas as pd

    text = to_markdown(pd.DataFrame({"a": ["x|y", "z"], "b": [0.123456, float("nan")]}))
    header, rule, *rows = text.splitlines()
    assert [c.strip() for c in header.strip("|").split("|")] == ["a", "b"] and set(rule) <= set("|:- ")
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", row.strip("|"))] for row in rows]
    assert cells == [["x\\|y", "0.1235"], ["z", ""]]  # 4 decimals, the pipe escaped, NaN empty
