"""python -m kexp.diff: two runs or two configurations of a sweep, what differs and from when."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from kexp.diff.cli import main
from tests.reporting.compare.fake_runs import make_run


def with_config(run, **config):
    (run / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"task": {"name": "multiclass"}, **config}))
    (run / "run.yaml").write_text(yaml.safe_dump({"backend": "tensorflow", "git": {"commit": "abc", "dirty": False},
                                                  "packages": {"keras": "3.15.1"}}))
    return run


def sweep(root):
    """adam and sgd, three seeds each: adam learns, sgd stays low (bands apart from epoch 2 on)."""
    for job, (optimizer, seed) in enumerate((o, s) for o in ("adam", "sgd") for s in range(3)):
        run = make_run(root / str(job), [f"optimizer={optimizer}", f"seed={seed}"], seed=seed, epochs=4,
                       accuracy=0.9 if optimizer == "adam" else 0.3,
                       metrics={"test_accuracy": (0.9 if optimizer == "adam" else 0.3) + 0.01 * seed})
        with_config(run, seed=seed, optimizer={"name": optimizer, "learning_rate": 0.001 if optimizer == "adam" else 0.01})
    return root


def test_two_configurations_of_a_sweep(tmp_path, capsys):
    root = sweep(tmp_path / "sweep")
    assert main([f"{root}:optimizer=adam", f"{root}:optimizer=sgd", "--json", "--html", str(tmp_path / "out")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {row["key"] for row in out["config"]} == {"optimizer.name", "optimizer.learning_rate"}  # seeds are no difference
    assert out["provenance"] == []
    test = next(row for row in out["metrics"] if row["metric"] == "test_accuracy")
    a, b = np.array([0.9, 0.91, 0.92]), np.array([0.3, 0.31, 0.32])
    interval = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert test["b - a"] == pytest.approx(-0.6) and test["seeds"] == "3 / 3"
    assert (test["ci_low"], test["ci_high"]) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert out["separation"].startswith("val_accuracy separates beyond both 95 % seed bands from epoch 1 on")
    assert (tmp_path / "out" / "diff_curves.png").is_file() and "test_accuracy" in (tmp_path / "out" / "diff.html").read_text()


def test_two_single_runs_and_bad_input(tmp_path, capsys):
    root = sweep(tmp_path / "sweep")
    assert main([str(root / "0"), str(root / "3"), "--html", str(tmp_path / "page.html")]) == 0
    markdown = capsys.readouterr().out
    assert "- `optimizer.name`: adam → sgd" in markdown and "no seed band" in markdown
    assert "## Provenance: 0 differences" in markdown
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in markdown.splitlines() if line.startswith("| ")}
    # (one seed a side: no interval, once "nan"; a count without decimals, once "535818.0000")
    assert rows["test_accuracy"] == ["0.9000", "0.3000", "-0.6000", "—", "—", "1 / 1"]
    assert [rows["parameters"][0], rows["parameters"][2]] == [f"{int(make_run_parameters(root / '0')):,}", "0"]
    # a page named .html is that page (it once became a directory page.html/ with diff.html in it)
    assert (tmp_path / "page.html").is_file() and (tmp_path / "diff_curves.png").is_file()
    assert "(no differences)" in (tmp_path / "page.html").read_text()  # the provenance: the same on both sides
    other = with_config(make_run(tmp_path / "regression", ["task=regression"]), task={"name": "regression"})
    assert main([str(root / "0"), str(other)]) == 2
    assert capsys.readouterr().err.strip() == (f"kexp: diff error: {other} — a task=regression run; {root / '0'} "
                                               "is task=multiclass: their metrics do not compare")
    assert main([str(tmp_path / "nowhere"), str(root / "0")]) == 2
    assert "kexp: diff error: " in capsys.readouterr().err
    assert main([f"{root}:optimizer=lion", str(root / "0")]) == 2
    assert capsys.readouterr().err.strip().endswith("no finished kexp run there with optimizer=lion")
    (tmp_path / "a_file").write_text("")  # (--html into a file: a traceback after the diff was printed)
    assert main([str(root / "0"), "--html", str(tmp_path / "a_file"), str(root / "3")]) == 2
    assert capsys.readouterr() == ("", f"kexp: diff error: --html {tmp_path / 'a_file'} — not a directory\n")
    assert not (tmp_path / "out").exists()


def make_run_parameters(run) -> float:
    return float(pd.read_csv(run / "metrics.csv")["parameters"].iloc[0])


def test_a_side_pools_only_runs_that_differ_in_their_seed(tmp_path, capsys):
    """A model × optimizer sweep: optimizer=adam alone selects the cnn and the mlp runs, which are no
    seeds of one configuration (they were pooled as "2 / 2 seeds", parameters ± 18 million)."""
    root = tmp_path / "sweep"
    for job, (model, optimizer) in enumerate((m, o) for m in ("cnn", "mlp") for o in ("adam", "sgd")):
        run = make_run(root / str(job), [f"model={model}", f"optimizer={optimizer}"], seed=0, epochs=3,
                       metrics={"parameters": 100 if model == "mlp" else 36_000_000})
        with_config(run, seed=0, model={"name": model}, optimizer={"name": optimizer})
    assert main([f"{root}:optimizer=adam", f"{root}:optimizer=sgd"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"kexp: diff error: {root}:optimizer=adam — its 2 runs differ in more than their seed (model.name: cnn, mlp); "
        f"pool only seeds of one configuration, e.g. {root}:optimizer=adam,model.name=cnn")
    # a folder of many unrelated runs: the first keys and values named, with how many more, in a short line
    mixed = tmp_path / "mixed"
    for job in range(6):
        run = make_run(mixed / str(job), [f"optimizer.learning_rate={job}"], seed=0, epochs=3)
        with_config(run, seed=0, optimizer={"learning_rate": job / 10}, data={"path": f"/data/{'x' * 60}/{job}"},
                    model={"name": f"net{job}", "units": job}, trainer={"epochs": job + 1})
    assert main([str(mixed), str(root / "0")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"kexp: diff error: {mixed} — its 6 runs differ in more than their seed (")
    named, example = err.split("; pool only seeds of one configuration, e.g. ")
    assert "; model.name: net0, net1, net2, net3 and 2 more; model.units: 0, 1, 2, 3 and 2 more; and 2 more keys)" \
        in named and len(named) - len(str(mixed)) < 400 and "x" * 40 not in named and "x…x" in named, named
    assert example == f"{mixed}:data.path=/data/{'x' * 60}/0"  # (a whole value: one to select by)
    assert main([f"{root}:optimizer=adam,model=cnn", f"{root}:optimizer=sgd,model=cnn", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert next(row for row in out["metrics"] if row["metric"] == "parameters")["seeds"] == "1 / 1"


def test_two_regressions_separate_by_their_validation_loss(tmp_path, capsys):
    """It said "val_accuracy stays within the seed bands of each other in all 0 epochs", and drew empty axes."""
    for job, (optimizer, seed) in enumerate((o, s) for o in ("adam", "sgd") for s in range(3)):
        run = make_run(tmp_path / "sweep" / str(job), [f"optimizer={optimizer}", f"seed={seed}"], seed=seed,
                       metrics={"best_val_loss": 30.0 if optimizer == "adam" else 90.0})
        with_config(run, seed=seed, objective="auto", task={"name": "regression"}, optimizer={"name": optimizer})
        level = 30.0 if optimizer == "adam" else 90.0
        pd.DataFrame({"epoch": [1, 2, 3], "loss": [level + 9, level + 5, level + 1], "mae": [5.0, 4.0, 3.0],
                      "val_loss": [level + 10 + seed, level + 5 + seed, level + seed], "val_mae": [5.0, 4.0, 3.0]}
                     ).to_csv(run / "history.csv", index=False)
    root = tmp_path / "sweep"
    assert main([f"{root}:optimizer=adam", f"{root}:optimizer=sgd", "--json", "--html", str(tmp_path / "out")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["separation"] == "val_loss separates beyond both 95 % seed bands from epoch 1 on"
    assert (tmp_path / "out" / "diff_curves.png").is_file()
