"""``python -m kexp.compare``: the files, the plots, the report, the speed-critical path."""

import base64
import re

import matplotlib.image
import pandas as pd
import pytest

from kexp.reporting.compare import compare
from kexp.compare.cli import main
from kexp.reporting.compare.plots import compare_figure, configurations, mean_and_std
from kexp.reporting.compare.runs import find_runs
from kexp.reporting.compare.table import swept_keys
from tests.reporting.compare.fake_runs import make_run


def test_a_regression_sweep_is_ranked_by_its_loss_and_drawn_by_its_mae(tmp_path):
    """It was ranked by the accuracy it does not have, and compare_accuracy.png was empty axes."""
    for job, (optimizer, val_loss) in enumerate([("sgd", 40.0), ("sgd", 42.0), ("adam", 30.0), ("adam", 31.0)]):
        run = make_run(tmp_path / "sweep" / str(job), [f"optimizer={optimizer}", f"seed={job % 2}"],
                       config={"task": {"name": "regression"}, "objective": "auto"},
                       metrics={"best_val_accuracy": None, "final_val_accuracy": None, "test_accuracy": None,
                                "best_val_loss": val_loss})
        pd.DataFrame({"epoch": [1, 2], "loss": [60.0, 50.0], "mae": [6.0, 5.0], "val_loss": [val_loss + 5, val_loss],
                      "val_mae": [5.5, 4.5]}).to_csv(run / "history.csv", index=False)
    written = compare([tmp_path / "sweep"], tmp_path / "out")
    assert "compare_mae.png" in written and "compare_accuracy.png" not in written
    markdown = written["summary.md"].read_text()
    assert markdown.startswith("# 4 runs ranked by best_val_loss\n\nBest best_val_loss: optimizer=adam, 30.5000")
    assert "<img" in written["report.html"].read_text()


def test_writes_every_file_into_out(tmp_path):
    for i, opt in enumerate(["sgd", "adam", "nadam"]):
        make_run(tmp_path / "sweep" / str(i), [f"optimizer={opt}"], accuracy=0.6 + 0.1 * i, seed=i)
    written = compare([tmp_path / "sweep"], tmp_path / "out")
    assert sorted(p.name for p in written.values()) == sorted(
        ["summary.csv", "summary.md", "compare_accuracy.png", "compare_loss.png", "report.html"])
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert summary["optimizer"].tolist() == ["sgd", "adam", "nadam"]
    markdown = (tmp_path / "out" / "summary.md").read_text()
    assert markdown.startswith("# 3 runs ranked by best_val_accuracy")
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [r.split("|")[2].strip() for r in rows] == ["nadam", "adam", "sgd"]
    height, width = matplotlib.image.imread(tmp_path / "out" / "compare_accuracy.png").shape[:2]
    assert width == 1000 and 600 < height < 700  # the legend's rows below the axes
    report = (tmp_path / "out" / "report.html").read_text()
    images = re.findall(r"src='data:image/png;base64,([^']+)'", report)
    assert len(images) == 2 and base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<table" in report and "nadam" in report


def test_overlay_has_one_colour_per_configuration_and_seed_bands(tmp_path):
    for opt in ("sgd", "adam"):
        for seed in (0, 1, 2):
            make_run(tmp_path / f"{opt}{seed}", [f"optimizer={opt}", f"seed={seed}"], seed=seed)
    runs = find_runs([tmp_path])
    keys = swept_keys(runs)
    assert list(configurations(runs, keys)) == ["optimizer=adam", "optimizer=sgd"]
    fig = compare_figure(runs, keys, "accuracy")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 4  # (train dashed + val solid) x 2 configurations
    assert [line.get_linestyle() for line in ax.get_lines()] == ["--", "-", "--", "-"]
    assert len(ax.collections) == 4  # a ±std band per drawn curve
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["optimizer=adam (mean, 95 % CI of 3 seeds)", "optimizer=sgd (mean, 95 % CI of 3 seeds)",
                      "validation", "training"]
    stats = mean_and_std([r.history for r in configurations(runs, keys)["optimizer=sgd"]], "val_accuracy")
    assert stats["epoch"].tolist() == [1, 2, 3] and (stats["std"] > 0).all()


def test_runs_that_differ_in_their_seed_only_are_one_configuration_with_its_band(tmp_path):
    for seed in (0, 1, 2):
        make_run(tmp_path / str(seed), [f"seed={seed}"], accuracy=0.6 + 0.05 * seed, seed=seed)
    runs = find_runs([tmp_path])
    keys = swept_keys(runs)
    assert list(configurations(runs, keys)) == ["all runs"]  # (as the forest plot and statistics call it)
    fig = compare_figure(runs, keys, "accuracy")
    assert fig.axes[0].get_title() == "accuracy: 3 runs, 1 configuration"
    assert len(fig.axes[0].get_lines()) == 2 and len(fig.axes[0].collections) == 2  # one mean curve each, banded
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["all runs (mean, 95 % CI of 3 seeds)", "validation", "training"]


def test_mixed_run_and_sweep_directories_and_half_finished_ones(tmp_path):
    make_run(tmp_path / "day1" / "12-00-00", ["model=mlp"])
    make_run(tmp_path / "day2" / "multirun" / "0", ["model=cnn"])
    make_run(tmp_path / "day2" / "multirun" / "1", ["model=vgg11"], status=None, epochs=1)
    assert main([str(tmp_path / "day1" / "12-00-00"), str(tmp_path / "day2"), "--out",
                 str(tmp_path / "cmp")]) == 0
    summary = pd.read_csv(tmp_path / "cmp" / "summary.csv")
    assert summary["model"].tolist() == ["mlp", "cnn", "vgg11"]
    assert summary["status"].tolist() == ["ok", "ok", "unfinished"]


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.strip() == f"kexp.compare: {tmp_path / 'missing'}: no such directory"
    make_run(tmp_path / "r", ["model=cnn"])
    assert main([str(tmp_path / "r"), "--metric", "happiness"]) == 2
    assert "not a result column of the summary" in capsys.readouterr().err
    # (a file for --out was a traceback; options between the paths were "unrecognized arguments")
    for out in (tmp_path / "r" / "metrics.csv", tmp_path / "r" / "metrics.csv" / "deeper"):
        assert main([str(tmp_path / "r"), "--out", str(out)]) == 2
        assert capsys.readouterr().err.strip().startswith("kexp.compare: ") and not (tmp_path / "r" / "summary.csv").exists()
    make_run(tmp_path / "s", ["model=mlp"])
    assert main([str(tmp_path / "r"), "--out", str(tmp_path / "both"), str(tmp_path / "s")]) == 0
    assert pd.read_csv(tmp_path / "both" / "summary.csv")["model"].tolist() == ["cnn", "mlp"]


def test_gradient_profiles_of_the_last_epoch_are_overlaid(tmp_path):
    import numpy as np

    from kexp.reporting.compare.plots import gradient_compare_figure

    for model, scale in (("plain56", 1e-4), ("resnet56", 1e-1)):
        for seed in (0, 1):
            run = make_run(tmp_path / f"{model}{seed}", [f"model={model}", f"seed={seed}"], seed=seed)
            rows = [{"epoch": e, "layer": f"conv{d}", "depth": d,
                     "grad_norm": scale * (d + 1) * (1 + seed) * (e + 1), "weight_norm": 1.0}
                    for e in (0, 1, 2) for d in range(4)]
            pd.DataFrame(rows).to_csv(run / "gradients.csv", index=False)
    make_run(tmp_path / "other", ["model=cnn"])  # no diagnostics: not drawn
    written = compare([tmp_path], tmp_path / "out")
    assert matplotlib.image.imread(written["compare_gradients.png"]).shape[:2] == (600, 1000)
    runs = find_runs([tmp_path])
    lines = gradient_compare_figure(runs, swept_keys(runs)).axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["model=plain56 (epoch 2)", "model=resnet56 (epoch 2)"]
    # epoch 2, mean over seeds 0 and 1: scale · (d + 1) · 1.5 · 3
    np.testing.assert_allclose(lines[0].get_ydata(), [1e-4 * (d + 1) * 4.5 for d in range(4)])
    assert "compare_gradients.png" not in compare([tmp_path / "other"], tmp_path / "out2")


def test_a_mix_of_runs_reads_well_defaults_filled_in_only_what_differs(tmp_path, recwarn):
    """Runs started by hand with different overrides (issue 23): the default run's model and
    optimizer are named, keys that do not apply are '-' (never empty), keys equal everywhere
    are left out, the legend sits outside the axes, nothing warns, and the seed table keeps
    only columns that say something."""
    cnn = {"seed": 0, "model": {"name": "cnn", "filters": [8, 16]}, "optimizer": {"name": "adam"}}
    mlp = {"seed": 0, "model": {"name": "mlp", "units": [64]}, "optimizer": {"name": "sgd"}}
    make_run(tmp_path / "a", [], config=cnn, choices={"model": "cnn", "optimizer": "adam"}, accuracy=0.6)
    make_run(tmp_path / "b", ["model=mlp", "optimizer=sgd", "data.path="], config=mlp,
             choices={"model": "mlp", "optimizer": "sgd"}, accuracy=0.7)
    for seed in (1, 2):
        make_run(tmp_path / f"c{seed}", ["model=cnn", f"seed={seed}", "model.filters=[4,8]"],
                 config={**cnn, "seed": seed}, choices={"model": "cnn", "optimizer": "adam"}, seed=seed)
    runs = find_runs([tmp_path])
    keys = swept_keys(runs)
    assert keys == ["model", "optimizer", "seed", "model.filters"]  # data.path= is the same everywhere
    assert list(configurations(runs, keys)) == [
        "model=cnn, optimizer=adam, model.filters=[8,16]",
        "model=mlp, optimizer=sgd",  # model.filters does not apply to an MLP: left out
        "model=cnn, optimizer=adam, model.filters=[4,8]",
    ]
    written = compare([tmp_path], tmp_path / "out")
    table = pd.read_csv(written["summary.csv"], dtype=str, keep_default_na=False)
    assert table[keys].to_dict("list") == {
        "model": ["cnn", "mlp", "cnn", "cnn"], "optimizer": ["adam", "sgd", "adam", "adam"],
        "seed": ["0", "0", "1", "2"], "model.filters": ["[8,16]", "-", "[4,8]", "[4,8]"]}
    seeds = written["summary.md"].read_text().split("## Mean ± std over seeds")[1]
    assert "best_val_accuracy_std" in seeds and "parameters_std" not in seeds and "epochs_std" not in seeds
    fig = compare_figure(runs, keys, "accuracy")
    assert fig.axes[0].get_legend() is None and len(fig.legends) == 1
    fig.draw_without_rendering()  # (runs the constrained layout)
    legend, axes = fig.legends[0].get_window_extent(), fig.axes[0].get_window_extent()
    figure = fig.bbox
    assert legend.y1 <= axes.y0 and figure.x0 <= legend.x0 and legend.x1 <= figure.x1 and legend.y0 >= figure.y0
    assert not [str(w.message) for w in recwarn]


def test_long_labels_wrap_to_the_figure_and_many_configurations_take_columns():
    from kexp.reporting.compare.plots import LEGEND_WIDTH, legend_layout

    long = ", ".join(f"model.key{i}=value{i}" for i in range(12))
    wrapped, columns, rows = legend_layout([long, "validation", "training"])
    assert columns == 1 and max(len(line) for line in wrapped[0].splitlines()) <= LEGEND_WIDTH
    assert rows == wrapped[0].count("\n") + 3
    _, columns, rows = legend_layout([f"optimizer.learning_rate={i / 1000}" for i in range(30)])
    assert columns > 1 and rows == -(-30 // columns)


def test_runs_that_validate_on_their_test_split_label_it_test(tmp_path):
    for opt in ("sgd", "adam"):
        make_run(tmp_path / opt, [f"optimizer={opt}"], config={"seed": 0, "data": {"val_split": 0}})
    runs = find_runs([tmp_path])
    legend = [t.get_text() for t in compare_figure(runs, swept_keys(runs), "accuracy").legends[0].get_texts()]
    assert legend[-2:] == ["test", "training"]
