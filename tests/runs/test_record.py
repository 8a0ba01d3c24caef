"""The run record: metrics.csv's one row, written and read in one place; metric aliases."""

import math
from dataclasses import replace

import pandas as pd
import pytest

from kexp.reporting.compare.table import ranked, resolve_metric
from kexp.runs.record import (ALIASES, RunRecord, metric_column, objective_direction, objective_metric,
                         smaller_is_better)

HISTORY = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.9, 0.5, 0.4],
                        "accuracy": [0.6, 0.8, 0.85], "val_loss": [0.8, 0.6, 0.7],
                        "val_accuracy": [0.7, 0.82, 0.81]})


def record(**values) -> RunRecord:
    values = {"test_scores": {"test_accuracy": 0.8, "test_loss": 0.65, "test_auc": 0.9}, **values}
    return RunRecord.from_history("cnn-adam", "cnn", "adam", HISTORY, parameters=100, macs=2000,
                                  train_seconds=1.23456, images_per_second=50.0, **values)


def test_columns_in_order_and_values_from_the_history(tmp_path):
    path = record().write(tmp_path)
    table = pd.read_csv(path)
    assert table.columns.tolist() == [
        "name", "model", "optimizer", "parameters", "macs", "epochs", "final_loss",
        "best_val_accuracy", "final_val_accuracy", "best_val_loss", "final_val_loss",
        "test_accuracy", "test_loss", "test_auc", "train_seconds", "images_per_second", "status", "error"]
    row = table.iloc[0]
    assert (row["epochs"], row["final_loss"]) == (3, 0.4)
    assert (row["best_val_accuracy"], row["final_val_accuracy"]) == (0.82, 0.81)
    assert (row["best_val_loss"], row["final_val_loss"]) == (0.6, 0.7)
    assert row["train_seconds"] == 1.235 and row["status"] == "ok" and pd.isna(row["error"])


def test_reading_gives_back_what_was_written(tmp_path):
    written = record(status="interrupted")
    written.write(tmp_path)
    again = RunRecord.read(tmp_path)
    assert again.row() | {"train_seconds": 0} == written.row() | {"train_seconds": 0}
    assert RunRecord.read(tmp_path / "nowhere") is None


def test_a_failure_record_has_every_column_and_the_error_on_one_line(tmp_path):
    RunRecord("x", "cnn", "sgd", status="failed", error="boom\n  in two lines").write(tmp_path)
    row = pd.read_csv(tmp_path / "metrics.csv").iloc[0]
    assert row["status"] == "failed" and row["error"] == "boom in two lines" and row["epochs"] == 0
    assert math.isnan(RunRecord.read(tmp_path).value("val_accuracy"))


@pytest.mark.parametrize("alias, column, value", [
    ("val_accuracy", "best_val_accuracy", 0.82), ("val_loss", "best_val_loss", 0.6),
    ("accuracy", "test_accuracy", 0.8), ("loss", "test_loss", 0.65),
])
def test_every_alias_names_a_column_that_exists(alias, column, value):
    assert ALIASES[alias] == column and metric_column(alias) == column
    assert record().value(alias) == value
    worse = replace(record(test_scores={"test_accuracy": 0.1, "test_loss": 9.0}),
                    best_val_accuracy=0.1, best_val_loss=5.0)
    table = pd.DataFrame([worse.row(), record().row()])
    assert resolve_metric(alias, table, []) == column
    best = ranked(table, column).iloc[0]
    assert best["test_accuracy"] == 0.8  # the better run first, whichever the direction
    assert set(ALIASES) == {"val_accuracy", "val_loss", "accuracy", "loss"}


def test_the_sweep_objective_follows_the_task():
    assert objective_metric("auto", "multiclass") == "val_accuracy"
    assert objective_metric("auto", "regression") == "val_loss"
    assert objective_metric("test_auc", "binary") == "test_auc"
    assert objective_direction("auto", "regression") == "minimize"
    assert objective_direction("auto", "binary") == "maximize"
    assert smaller_is_better("test_mae") and not smaller_is_better("best_val_accuracy")


def test_a_metrics_row_of_kexp_0_1_reads_its_flops_column_as_macs():
    old = RunRecord.from_row({"name": "cnn-adam", "model": "cnn", "optimizer": "adam", "parameters": 10,
                              "flops": 2000, "epochs": 1, "status": "ok"})
    assert old.macs == 2000 and "flops" not in old.row() and old.row()["macs"] == 2000
