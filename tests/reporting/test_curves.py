"""The curves figure: accuracy and loss panels, training blue, validation red."""

import matplotlib.image
import pandas as pd

from kexp.reporting.curves import TRAIN_COLOR, VAL_COLOR, curves_figure, save_curves

HISTORY = pd.DataFrame({"epoch": [1, 2, 3], "accuracy": [0.5, 0.7, 0.8],
                        "val_accuracy": [0.4, 0.6, 0.65], "loss": [1.2, 0.8, 0.5],
                        "val_loss": [1.3, 1.0, 0.9]})


def test_two_panels_with_labelled_axes_and_colours():
    fig = curves_figure(HISTORY, "run")
    accuracy, loss = fig.axes
    assert (accuracy.get_xlabel(), accuracy.get_ylabel()) == ("epoch", "accuracy")
    assert (loss.get_xlabel(), loss.get_ylabel()) == ("epoch", "loss")
    train, val = accuracy.get_lines()
    assert (train.get_label(), val.get_label()) == ("training", "validation")
    assert (train.get_color(), val.get_color()) == (TRAIN_COLOR, VAL_COLOR)
    assert list(val.get_ydata()) == [0.4, 0.6, 0.65]
    assert [t.get_text() for t in accuracy.get_legend().get_texts()] == ["training", "validation"]


def test_png_is_written(tmp_path):
    save_curves(HISTORY, tmp_path / "curves.png")
    image = matplotlib.image.imread(tmp_path / "curves.png")
    assert image.shape[:2] == (450, 1100)
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_drawing_never_switches_the_users_matplotlib_backend(tmp_path):
    import subprocess
    import sys

    code = ("import matplotlib; matplotlib.use('svg')\n"
            "import pandas as pd\nfrom kexp.reporting.curves import save_curves\n"
            "save_curves(pd.DataFrame({'epoch': [1], 'loss': [1.0], 'accuracy': [0.5]}), "
            f"__import__('pathlib').Path({str(tmp_path / 'c.png')!r}))\n"
            "print(matplotlib.get_backend())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg" and (tmp_path / "c.png").stat().st_size > 1000


def test_the_slides_figures_and_the_test_label_in_a_run(tmp_path):
    """experiment=slides_mnist validates on the test set and draws as the slides do (002): two
    10x7 figures, training 'b', test 'r', legend training / test; curves.png says "test" too."""
    from matplotlib.colors import to_rgba

    from kexp.reporting.curves import slides_figures
    from tests.conftest import TINY_CNN, compose_config, run_in_process

    preset = compose_config(["experiment=slides_mnist"])
    assert preset.data.val_split == 0 and preset.trainer.curves == "slides"
    run_in_process([*TINY_CNN, "data.train_size=200", "data.test_size=60", "trainer.epochs=2",
                    "data.val_split=0", "trainer.curves=slides", "trainer.save_model=false"], tmp_path)
    for name in ("accuracy.png", "loss.png"):
        assert matplotlib.image.imread(tmp_path / name).shape[:2] == (700, 1000)
    history = pd.read_csv(tmp_path / "history.csv")
    assert history["val_accuracy"].iloc[-1] == pd.read_csv(tmp_path / "metrics.csv")["test_accuracy"].iloc[0]
    figures = slides_figures(history, "test")
    for metric, fig in figures.items():
        ax = fig.axes[0]
        assert [line.get_color() for line in ax.get_lines()] == ["b", "r"]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "test"]
        assert ax.get_ylabel() == metric and ax.yaxis.label.get_fontsize() == 20
        assert list(ax.get_lines()[1].get_ydata()) == history[f"val_{metric}"].tolist()
    panels = curves_figure(history, val_label="test")
    assert [t.get_text() for t in panels.axes[0].get_legend().get_texts()] == ["training", "test"]
    assert to_rgba(panels.axes[0].get_lines()[1].get_color()) == to_rgba(VAL_COLOR)
