"""Commands that once did something other than what was asked, without a word: now one line each.

Each case was exit 0 with another answer (a plain run for a search, the defaults for a typo) or a
traceback; now it is one line naming what to write instead, exit 2, before anything is written.
"""

import pytest

from kexp.config.errors import ConfigError

from tests.conftest import preflight_error, run_kexp

ASKED_TO_SWEEP = "which runs with -m: python -m kexp -m"


@pytest.mark.parametrize("argv, line", [
    # a sweep without -m (was: one plain run of the defaults, exit 0)
    (["hparams_search=optuna"], "hparams_search=optuna — a search, " + ASKED_TO_SWEEP + " hparams_search=optuna"),
    # a preset that sweeps, without -m (was: one of its configurations, exit 0)
    (["experiment=demo_vanishing_gradients"],
     "experiment=demo_vanishing_gradients — sweeps model.activation=sigmoid,relu (hydra.sweeper.params), "
     + ASKED_TO_SWEEP + " experiment=demo_vanishing_gradients; or pick one value: model.activation=…"),
    # was Hydra's six-line error, exit 1
    (["model=cnn,mlp", "trainer.epochs=2"],
     "model=cnn,mlp — a sweep over model, " + ASKED_TO_SWEEP + " model=cnn,mlp trainer.epochs=2; "
     "a list value is written model=[cnn,mlp]"),
    # an objective the runs do not record: the sweep's comparison ranked by the task's default instead, a
    # search got every trial's worst value
    (["-m", "model=cnn,mlp", "objective=val_acc"],
     "objective=val_acc — a metric that a task=multiclass run records: auto, val_accuracy, val_loss,"),
    (["data=diabetes", "task=regression", "model=mlp", "objective=val_accuracy"],
     "objective=val_accuracy — a metric that a task=regression run records: auto, val_loss, loss, epochs,"),
    (["objective=test_auc"], "objective=test_auc — a metric that a task=multiclass run records"),
    # the hint once said "+modle=mlp", which then trained the default cnn
    (["modle=mlp"], "modle=mlp — unknown key 'modle'; the config has: data, model,"),
    (["+modle=mlp"], "+modle=mlp — nothing reads modle (the config has no key 'modle'; new keys are read only "
                     "under a _target_); did you mean model?"),
    (["+trainer.epoch=3"], "+trainer.epoch=3 — nothing reads trainer.epoch (trainer has no key 'epoch', and takes "
                           "no key beyond its own); did you mean trainer.epochs"),
    # a key of another option of the group: the hint said "+schedule.milestones=[3]", which was accepted under the
    # schedule's _target_ and then dropped by the typed settings (a constant rate, exit 0)
    (["schedule.milestones=[3]"], "schedule.milestones=[3] — unknown key 'milestones'; schedule has: _target_, name; "
                                  "milestones is a setting of schedule=step: choose it"),
    (["+schedule.milestones=[3]"], "+schedule.milestones=[3] — nothing reads schedule.milestones (schedule has no "
                                   "key 'milestones', and takes no key beyond its own); milestones is a setting of "
                                   "schedule=step: choose it"),
    (["optimizer.momentum=0.9"], "optimizer.momentum=0.9 — unknown key 'momentum'; optimizer has: _target_, name, "
                                 "learning_rate, beta_1, beta_2, epsilon, weight_decay, clipnorm, global_clipnorm; "
                                 "momentum is a setting of optimizer=momentum, muon, nesterov, rmsprop or sgd: choose one"),
    # Keras 2's and PyTorch's names: the hint once said "+optimizer.lr=0.1", which Keras 3 refused after the
    # data had loaded; trainer.bs once suggested trainer.verbose
    (["optimizer.lr=0.1"], "optimizer.lr=0.1 — unknown key 'lr'; optimizer has: _target_, name, learning_rate,"),
    (["+optimizer.lr=0.1"], "+optimizer.lr=0.1 — kexp calls optimizer.lr optimizer.learning_rate; "
                            "write optimizer.learning_rate=0.1"),
    (["trainer.bs=64"], "trainer.bs=64 — unknown key 'bs'; trainer has: epochs, batch_size,"),
    (["lr=0.1"], "lr=0.1 — unknown key 'lr'; the config has: data, model,"),
    # the ViT job failed at run time, after the mlp had trained (every job is checked before the sweep)
    (["-m", "model=mlp,vit_base"], "model.patch_size=16 — must divide the image size (28x28, data=digits) for "
                                   "model=vit_base; use model.patch_size=2, 4, 7 or 14, or data.image_size=32"),
    (["model=vit_tiny", "data.image_size=29"], "model.patch_size=16 — must divide the image size (29x29, "
                                               "data=digits) for model=vit_tiny; use data.image_size=32"),
])
def test_a_command_that_would_not_do_what_it_says_is_one_line(argv, line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    error = preflight_error(argv)
    assert error.startswith(f"kexp: config error: {line}")
    meant = {"optimizer.lr=0.1": "optimizer.learning_rate", "lr=0.1": "optimizer.learning_rate",
             "trainer.bs=64": "trainer.batch_size"}
    if argv[0] in meant:
        assert error.endswith(f"did you mean {meant[argv[0]]}?"), error


@pytest.mark.parametrize("argv", [
    ["experiment=demo_vanishing_gradients", "model.activation=relu"],  # one job of the preset: a run
    ["-m", "experiment=demo_vanishing_gradients"],
    ["+optimizer.use_ema=true"],  # under a _target_: an argument of the optimizer
    ["++trainer.epochs=3"],  # ++ of a key that exists: an ordinary override
])
def test_what_is_read_is_accepted(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert preflight_error(argv) == ""


def test_ones_own_model_yaml_without_a_name_is_one_line_naming_the_file(tmp_path):
    """It was a traceback from the code that records the failure (``${model.name}``), and a run
    directory left behind."""
    (tmp_path / "myconf" / "model").mkdir(parents=True)
    (tmp_path / "myconf" / "model" / "my_net.yaml").write_text("builder: mlp\nhidden_units: [64]\n")
    result = run_kexp(["--config-dir=myconf", "model=my_net"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("kexp: config error: model=my_net (myconf/model/my_net.yaml) — has no key "
                                     "'name'; every model config names itself: add name: my_net")
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("backend, missing, line", [
    ("torch", "torch", "KERAS_BACKEND=torch — the torch package is not installed here: pip install torch"),
    ("jax", "jax", "KERAS_BACKEND=jax — the jax package is not installed here: pip install -e '.[jax]'"),
    ("pytorch", None, "KERAS_BACKEND=pytorch — not a Keras backend; one of tensorflow, jax, torch, numpy, openvino"),
    ("numpy", None, "KERAS_BACKEND=numpy — Keras's numpy backend cannot train; use tensorflow or jax"),
])
def test_a_backend_that_cannot_run_is_one_line_before_keras(backend, missing, line, tmp_path, monkeypatch):
    """Each was a 41–63-line traceback and a failed run directory."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == missing else real(name, *a))
    monkeypatch.setenv("KERAS_BACKEND", backend)
    monkeypatch.chdir(tmp_path)
    assert preflight_error(["trainer.epochs=1"]).startswith(f"kexp: config error: {line}")


@pytest.mark.parametrize("argv, line", [
    (["model=cnn,mlp", "--cfg", "job"], "model=cnn,mlp — a sweep over model, which runs with -m:"),  # Hydra's six lines
    (["-m", "model=cnn,mlp", "--cfg", "job"], "--cfg job with -m — shows one job's config: drop -m"),  # a traceback
])
def test_showing_the_config_of_a_sweep_is_one_line(argv, line):
    assert preflight_error(argv).startswith(f"kexp: config error: {line}")


@pytest.mark.parametrize("argv, line", [
    # Hydra's five lines, which advised +epochs=3 (a key that kexp then refuses)
    (["epochs=3", "--cfg", "job"], "epochs=3 — unknown key 'epochs'; the config has: data, model,"),
    (["--cfg", "hydra", "model=nope"], "model=nope — unknown option; available: alexnet,"),
    (["--cfg", "job", "trainer.epochs=abc"], "trainer.epochs=abc — must be an integer"),
])
def test_a_config_that_cannot_be_shown_is_one_line(argv, line):
    from kexp.cli.show_config import check_composes

    with pytest.raises(ConfigError) as raised:
        check_composes(argv)
    assert raised.value.one_line().startswith(f"kexp: config error: {line}")
    check_composes(["--cfg", "job", "trainer.epochs=0"])  # shown as given: a run of it is refused
