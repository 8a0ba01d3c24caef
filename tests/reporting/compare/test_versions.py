"""The summary's kexp version and the runs whose code or versions differ; the report's confusion
matrices (best run of each configuration)."""

import re

import pandas as pd
import yaml

from kexp.reporting.compare import compare
from kexp.reporting.confusion import confusion_table, save_confusion
from tests.reporting.compare.fake_runs import make_run

PROVENANCE = {"command": "python -m kexp", "packages": {"kexp": "0.1.0", "keras": "3.15.1", "numpy": "2.3.0"},
              "backend": "tensorflow", "precision": "float32", "devices": ["CPU"],
              "git": {"commit": "a" * 40, "dirty": False}}


def with_provenance(run_dir, **changes):
    facts = yaml.safe_load(yaml.safe_dump(PROVENANCE))
    for key, value in changes.items():
        facts[key] = {**facts[key], **value} if isinstance(value, dict) else value
    (run_dir / "run.yaml").write_text(yaml.safe_dump(facts))


def test_runs_with_other_code_or_versions_are_flagged(tmp_path):
    runs = [make_run(tmp_path / "s" / str(i), [f"seed={i}"], seed=i) for i in range(4)]
    with_provenance(runs[0])
    with_provenance(runs[1], packages={"keras": "3.14.0"})
    with_provenance(runs[2], git={"dirty": True}, backend="jax")
    # runs[3] has no run.yaml (made before kexp wrote one): nothing to compare, nothing flagged
    compare([tmp_path / "s"], tmp_path / "out")
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", keep_default_na=False)
    assert summary["kexp"].tolist() == ["0.1.0", "0.1.0", "0.1.0", ""]
    assert summary["differs"].tolist() == ["", "keras 3.14.0", "backend jax; git aaaaaaaaaa dirty", ""]
    markdown = (tmp_path / "out" / "summary.md").read_text()
    assert "kexp 0.1.0\n" in markdown
    assert "2 run(s) differ in code or versions from the rest: see the differs column" in markdown
    assert "2 run(s) differ in code or versions" in (tmp_path / "out" / "report.html").read_text()


def test_the_report_shows_the_confusion_matrix_of_each_configuration_best_run(tmp_path):
    accuracy = {("sgd", 0): 0.5, ("sgd", 1): 0.7, ("adam", 0): 0.9, ("adam", 1): 0.6}
    for i, ((opt, seed), acc) in enumerate(accuracy.items()):
        run_dir = make_run(tmp_path / "s" / str(i), [f"optimizer={opt}", f"seed={seed}"], accuracy=acc, seed=i)
        save_confusion(confusion_table([0, 1, 1], [0, 1, i % 2], ["cat", "dog"]), run_dir, title=f"run {i}")
    report = (tmp_path / "out" / "report.html") if compare([tmp_path / "s"], tmp_path / "out") else None
    headings = re.findall(r"<h2>(Confusion matrix[^<]*)</h2>", report.read_text())
    # the best configuration first (adam's best 0.9 beats sgd's 0.7)
    assert headings == ["Confusion matrix: optimizer=adam (best of 2: 2)",
                        "Confusion matrix: optimizer=sgd (best of 2: 1)"]
    # the seeds' forest plot, 2 curves, 2 matrices
    assert len(re.findall(r"src='data:image/png;base64,", report.read_text())) == 5


def test_a_search_report_shows_only_the_best_configurations_confusion_matrices(tmp_path):
    from kexp.reporting.compare import MAX_CONFUSION_MATRICES

    for i in range(MAX_CONFUSION_MATRICES + 2):  # a configuration per run, as in an Optuna search
        run_dir = make_run(tmp_path / "s" / str(i), [f"optimizer.learning_rate={i + 1}e-4"], accuracy=i / 20, seed=i)
        save_confusion(confusion_table([0, 1], [0, 1], ["cat", "dog"]), run_dir, title=f"run {i}")
    report = (tmp_path / "out" / "report.html") if compare([tmp_path / "s"], tmp_path / "out") else None
    headings = re.findall(r"<h2>(Confusion matrix[^<]*)</h2>", report.read_text())
    assert len(headings) == MAX_CONFUSION_MATRICES
    best = MAX_CONFUSION_MATRICES + 1  # (the last run has the highest accuracy)
    assert headings[0] == (f"Confusion matrix: optimizer.learning_rate={best + 1}e-4 (best of 1: {best}) — the "
                           f"{MAX_CONFUSION_MATRICES} best of {MAX_CONFUSION_MATRICES + 2} configurations")
