"""``experiment=<name>`` presets: each composes to what its source describes and builds."""

import pandas as pd
import pytest

from kexp.config.location import config_dir
from kexp.models import build_model
from tests.conftest import compose_config, kexp_in_process, typed_config

PRESETS = sorted(p.stem for p in (config_dir() / "experiment").glob("*.yaml"))
SHAPES = {"mnist": (28, 28, 1), "fashion_mnist": (28, 28, 1), "cifar10": (32, 32, 3), "digits": (28, 28, 1)}
#: preset -> (data, model, optimizer, batch size, epochs, parameters at its input shape)
EXPECTED = {
    "slides_mnist": ("mnist", "cnn", "adam", 128, 10, 6_511_370),
    "keras_mnist_cnn": ("mnist", "keras_mnist_cnn", "adadelta", 128, 12, 1_199_882),
    "deepobs_mnist_2c2d": ("mnist", "deepobs_2c2d", "adam", 128, 100, 3_274_634),
    "deepobs_fmnist_2c2d": ("fashion_mnist", "deepobs_2c2d", "adam", 128, 100, 3_274_634),
    "deepobs_cifar10_3c3d": ("cifar10", "deepobs_3c3d", "momentum", 128, 100, 895_210),
    "resnet_paper_cifar10": ("cifar10", "resnet20", "momentum", 128, 182, 271_098),
    "degradation": ("mnist", "plain20", "momentum", 128, 5, 270_810),
    # the course's demonstrations (tests/config/test_demos.py runs each): hand counts in the comments
    "demo_vanishing_gradients": ("digits", "mlp", "sgd", 32, 10, 784 * 64 + 64 + 7 * (64 * 64 + 64) + 650),
    "demo_step_vs_sigmoid": ("digits", "mlp", "sgd", 32, 10, 784 * 64 + 64 + 650),
    # conv 5x5 1→32, pool, conv 5x5 32→64, pool (28→24→12→8→4), dense 4·4·64→128→10
    "demo_batchnorm": ("digits", "cnn", "sgd", 32, 8, 26 * 32 + (25 * 32 + 1) * 64 + (4 * 4 * 64 + 1) * 128 + 1290),
    "demo_overfitting": ("digits", "mlp784", "adam", 32, 40, 784 * 784 + 784 + 7850),
    "demo_optimizers": ("digits", "mlp784", "sgd", 32, 10, 784 * 784 + 784 + 7850),
}


def test_every_preset_is_listed():
    assert PRESETS == sorted(EXPECTED)


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_composes_and_builds(preset):
    data, model, optimizer, batch, epochs, parameters = EXPECTED[preset]
    cfg = typed_config([f"experiment={preset}"])
    assert (cfg.data.name, cfg.model.name, cfg.optimizer.name) == (data, model, optimizer)
    assert (cfg.trainer.batch_size, cfg.trainer.epochs) == (batch, epochs)
    built = build_model(cfg.model, SHAPES[data], 10, cfg.regularization)
    assert built.count_params() == parameters


def test_the_resnet_paper_recipe():
    cfg = typed_config(["experiment=resnet_paper_cifar10"])
    assert cfg.optimizer.learning_rate == 0.1 and cfg.optimizer.arguments["momentum"] == 0.9
    assert (cfg.schedule.name, list(cfg.schedule.milestones), cfg.schedule.gamma) == ("step", [91, 136], 0.1)
    assert cfg.schedule.learning_rate == 0.1  # interpolated from the optimizer
    assert cfg.regularization.l2 == 5e-5 and cfg.regularization.augment.translate == 0.125
    assert cfg.data.val_split == 0.1  # 45k / 5k


def test_command_line_overrides_beat_the_preset():
    cfg = compose_config(["experiment=keras_mnist_cnn", "data=digits", "trainer.epochs=2"])
    assert (cfg.data.name, cfg.trainer.epochs, cfg.model.name) == ("digits", 2, "keras_mnist_cnn")


def test_degradation_sweeps_plain_and_residual_nets_with_diagnostics_end_to_end(tmp_path):
    """The preset sweeps four nets (checked on its config); two of them run end to end here."""
    preset = compose_config(["experiment=degradation"], return_hydra_config=True)
    assert preset.hydra.sweeper.params.model == "plain20,plain56,resnet20,resnet56"
    assert preset.trainer.gradient_flow is True
    result = kexp_in_process(["-m", "experiment=degradation", "model=plain20,resnet20", "data=digits",
                              "data.train_size=60", "data.test_size=30", "data.image_size=8",
                              "trainer.epochs=1", "trainer.save_model=false", "hydra.sweep.dir=sweep"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert summary["model"].tolist() == ["plain20", "resnet20"]
    assert (summary["status"] == "ok").all() and summary["macs"].gt(0).all()
    assert (tmp_path / "sweep" / "compare_gradients.png").is_file()
    depths = pd.read_csv(tmp_path / "sweep" / "0" / "gradients.csv")["depth"]
    assert depths.max() == 20 - 1  # 19 conv kernels + the classifier of plain20
