"""Config rules: every bad value gives one line naming the key, the value and what is allowed."""

import pytest

from kexp.errors import ConfigError, DataError
from kexp.validation import validate
from tests.conftest import compose_config, write_npz


@pytest.mark.parametrize("override, message", [
    ("trainer.epochs=0", "trainer.epochs=0 — must be an integer ≥ 1"),
    ("trainer.epochs=2.5", "trainer.epochs=2.5 — must be an integer ≥ 1"),
    ("trainer.batch_size=0", "trainer.batch_size=0 — must be an integer ≥ 1"),
    ("trainer.verbose=loud", "trainer.verbose=loud — must be one of auto, 0, 1, 2"),
    ("optimizer.learning_rate=-0.1", "optimizer.learning_rate=-0.1 — must be a number > 0"),
    ("optimizer.learning_rate=fast", "optimizer.learning_rate=fast — must be a number > 0"),
    ("regularization.dropout=1.5", "regularization.dropout=1.5 — must be in [0, 1) or null"),
    ("model.activation=relu6", "model.activation=relu6 — unknown; available: relu, leaky_relu, prelu, "
                               "elu, selu, gelu, swish, tanh, sigmoid, rrelu, maxout"),
    ("regularization.l2=-1", "regularization.l2=-1 — must be a number ≥ 0"),
    ("regularization.batchnorm=maybe", "regularization.batchnorm=maybe — must be true, false or null"),
    ("data.val_split=1", "data.val_split=1 — must be in [0, 1)"),
    ("data.test_fraction=1.0", "data.test_fraction=1.0 — must be in (0, 1)"),
    ("data.test_fraction=0", "data.test_fraction=0 — must be in (0, 1)"),
    ("data.train_size=0", "data.train_size=0 — must be null or an integer ≥ 1"),
    ("data.path=/no/such/file.npz", "data.path=/no/such/file.npz — no such file; must be an existing .npz file"),
    ("model.filters=[64,0]", "model.filters=[64, 0] — must be a list of integers ≥ 1"),
    ("model.padding=full", "model.padding=full — must be valid or same, or a list of them (one per conv)"),
    ("seed=-1", "seed=-1 — must be an integer ≥ 0"),
])
def test_bad_values_are_named(override, message):
    with pytest.raises(ConfigError) as err:
        validate(compose_config([override]))
    assert err.value.one_line() == f"kexp: config error: {message}"


@pytest.mark.parametrize("overrides, message", [
    (["model=alexnet", "model.dropout=1.5"], "model.dropout=1.5 — must be in [0, 1)"),
    (["model=resnet20", "model.block=v3"], "model.block=v3 — must be v1 (post-activation) or v2"),
    (["model=resnet18", "model.stem=tiny"], "model.stem=tiny — must be auto, imagenet or small"),
    (["model=resnet18", "model.se_ratio=2"], "model.se_ratio=2 — must be in [0, 1] (0 = off)"),
    (["model=googlenet", "model.inception=fancy"], "model.inception=fancy — must be naive or reduction"),
])
def test_model_specific_keys(overrides, message):
    with pytest.raises(ConfigError) as err:
        validate(compose_config(overrides))
    assert err.value.one_line().startswith(f"kexp: config error: {message}")


def test_the_default_config_is_valid():
    validate(compose_config())
    validate(compose_config(["model=mlp", "optimizer=sgd", "regularization=batchnorm"]))


def test_npz_contents_are_checked_before_training(tmp_path):
    path = write_npz(tmp_path / "half.npz", x_test=None, y_test=None)
    with pytest.raises(DataError, match="missing arrays x_test, y_test"):
        validate(compose_config([f"data.path={path}"]))
