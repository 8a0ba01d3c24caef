"""The report a researcher reads: the seeds as a forest plot, numbers formatted for people,
accuracy intervals inside [0, 1], wide tables in their own scroll box, a legend that stays short."""

import re

from kexp.reporting.compare import compare
from kexp.reporting.compare.plots import MAX_NAMED, compare_figure, configurations
from kexp.reporting.compare.runs import find_runs
from tests.reporting.compare.fake_runs import make_run


def test_twelve_configurations_over_two_seeds_read_as_a_researcher_wants(tmp_path):
    # 12 learning rates, 2 seeds each; accuracies near 1 and far apart between seeds, so a plain
    # Student-t interval would reach past 1
    for lr in range(12):
        for seed in (0, 1):
            accuracy = 0.99 if seed == 0 else 0.6 + lr / 40
            make_run(tmp_path / "s" / f"{lr}-{seed}", [f"optimizer.learning_rate={lr}", f"seed={seed}"],
                     accuracy=accuracy, seed=lr * 2 + seed)
    written = compare([tmp_path / "s"], tmp_path / "out")
    report = written["report.html"].read_text()
    assert written["compare_seeds.png"].is_file()  # the forest plot, first of the pictures
    assert report.index("compare_seeds.png") < report.index("compare_accuracy.png")
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "95 % CI (Student t, clipped to [0, 1])" in report
    # every interval inside [0, 1]; the best one's upper end clipped there
    head = re.search(r"95 % CI ([0-9.]+) … ([0-9.]+)", summary)
    assert head and 0 <= float(head.group(1)) <= float(head.group(2)) <= 1.0
    # counts as integers, p-values to 3 significant digits (never "2.0000" seeds or "0.0000" p)
    stats = table_of(report)
    assert stats["runs"] == ["2"] * 12
    assert all(p == "" or re.fullmatch(r"\d(\.\d{1,2})?(e-\d+)?|0\.0*\d{1,3}", p) for p in stats["p_vs_best"])
    assert all(n in ("", "∞") or re.fullmatch(r"[\d,]+", n) for n in stats["seeds_for_power"])
    assert report.count("<div class='scroll'>") == report.count("<table")  # every table in its box
    # the curves name the 10 best configurations and count the rest in one entry
    runs = find_runs([tmp_path / "s"])
    keys = ["optimizer.learning_rate", "seed"]
    figure = compare_figure(runs, keys, "accuracy")
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert len(configurations(runs, keys)) == 12 and len(legend) == MAX_NAMED + 3
    assert "2 other configurations (grey; all in summary.csv)" in legend


def table_of(report: str) -> dict[str, list[str]]:
    """The first table of the report: its columns as the cells' text."""
    html = re.search(r"<table.*?</table>", report, re.S).group(0)
    header = re.findall(r"<th>(.*?)</th>", html)
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)]
    cells = [row for row in cells if row]
    return {name: [row[i] for row in cells] for i, name in enumerate(header)}


def test_whole_numbers_read_as_integers_and_small_rates_keep_their_digits():
    import pandas as pd

    from kexp.reporting.compare.report import formatters

    table = pd.DataFrame({"trainer.batch_size": [32.0, 128.0, float("nan")], "lr": [0.00014, 0.0019, 0.08311],
                          "accuracy": [1.0, 0.0, 1.0], "loss": [0.5, 1.25, 2.0]})
    shown = {column: [formatters(table)[column](v) for v in table[column]] for column in table}
    assert shown["trainer.batch_size"] == ["32", "128", ""]  # (a searched batch size is no 32.0000)
    assert shown["lr"] == ["0.00014", "0.0019", "0.0831"]  # (0.00014 is no 0.0001)
    assert shown["accuracy"] == ["1.0000", "0.0000", "1.0000"]  # (0 and 1 stay metrics)
    assert shown["loss"] == ["0.5000", "1.2500", "2.0000"]
