"""The course's demonstrations (``experiment=demo_*``): each sweep runs end to end on tiny data and
its report shows what it claims; the measured results on full data are in docs/course.md."""

import pandas as pd
import pytest

from kexp.course.cli import SLIDE_OUTPUT, main
from tests.conftest import kexp_in_process

TINY = ["data.train_size=60", "data.test_size=30", "data.image_size=16", "trainer.epochs=1",
        "trainer.save_model=false", "hydra.sweep.dir=sweep"]


def sweep(tmp_path, preset, *extra):
    result = kexp_in_process(["-m", f"experiment={preset}", *TINY, *extra], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert (summary["status"] == "ok").all() and (tmp_path / "sweep" / "report.html").is_file()
    return summary


def first_over_last(run):
    """How much smaller the first hidden layer's gradient is than the last's (epoch 0)."""
    grads = pd.read_csv(run / "gradients.csv").query("epoch == 0 and layer != 'predictions'")
    return grads["grad_norm"].iloc[0] / grads["grad_norm"].iloc[-1]


def test_vanishing_gradients_sigmoid_against_relu(tmp_path):
    summary = sweep(tmp_path, "demo_vanishing_gradients")
    assert summary["model.activation"].tolist() == ["sigmoid", "relu"]
    sigmoid, relu = (first_over_last(tmp_path / "sweep" / job) for job in ("0", "1"))
    assert sigmoid < 1e-2 and sigmoid < relu / 10  # 8 sigmoid layers: the gradient fades toward the input
    assert (tmp_path / "sweep" / "compare_gradients.png").is_file()


def test_the_step_function_passes_no_gradient_to_its_layer(tmp_path):
    sweep(tmp_path, "demo_step_vs_sigmoid")
    step, sigmoid = (pd.read_csv(tmp_path / "sweep" / job / "gradients.csv") for job in ("0", "1"))
    assert (step.query("layer == 'fc1'")["grad_norm"] == 0).all()  # below the step: nothing to learn
    assert (step.query("layer == 'predictions'")["grad_norm"] > 0).all()
    assert (sigmoid.query("layer == 'fc1'")["grad_norm"] > 0).all()


@pytest.mark.parametrize("preset, extra, jobs", [
    ("demo_batchnorm", ["model.kernel_initializer=xavier"], 6),
    ("demo_overfitting", [], 4),
    ("demo_optimizers", [], 10),
])
def test_the_other_demonstrations_run_every_configuration(tmp_path, preset, extra, jobs):
    assert len(sweep(tmp_path, preset, *extra)) == jobs


def test_the_worked_examples_print_the_texts_numbers(capsys):
    assert main(["conv"]) == 0
    out = capsys.readouterr().out
    assert "   7   11\n  23   27\n" in out and "as on the slide" in out and SLIDE_OUTPUT[1, 1] == 27
    assert main(["params"]) == 0
    counts = [int(line.split()[0].replace(",", "")) for line in capsys.readouterr().out.splitlines()]
    affine, dense, conv, dense784, mlp784, cnn, nnc = counts
    assert affine == 32 * 25 * 62 * 73 == 3_620_800 and dense == affine + 73  # + one bias per output
    assert conv == 3 * 3 * 32 * 32 + 32 and dense784 == 784 * 784 + 784
    assert mlp784 == dense784 + 7850 and cnn == 6_511_370 and nnc > affine
