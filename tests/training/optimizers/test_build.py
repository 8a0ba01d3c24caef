"""The ``optimizer`` group: each YAML builds its Keras class with its arguments."""

import keras
import pytest
import yaml

from kexp.config.location import config_dir
from kexp.training.optimizers import build_optimizer
from tests.conftest import typed_config

OPTIMIZERS = sorted(p.stem for p in (config_dir() / "optimizer").glob("*.yaml"))


def test_the_group_has_the_usual_optimizers():
    assert {"sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw",
            "nadam", "adamax", "lion"} <= set(OPTIMIZERS)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_yaml_instantiates_its_class_with_its_arguments(name):
    spec = yaml.safe_load((config_dir() / "optimizer" / f"{name}.yaml").read_text())
    optimizer = build_optimizer(typed_config([f"optimizer={name}"]).optimizer)
    assert type(optimizer).__name__ == spec["_target_"].rsplit(".", 1)[1]
    assert optimizer.name == name
    assert float(optimizer.learning_rate) == pytest.approx(spec["learning_rate"])
    for key in ("momentum", "nesterov", "beta_1", "beta_2", "rho", "weight_decay"):
        if key in spec:
            assert getattr(optimizer, key) == pytest.approx(spec[key]), key


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_common_fields_are_overridable_without_plus(name):
    optimizer = build_optimizer(typed_config([f"optimizer={name}", "optimizer.weight_decay=0.01",
                                                "optimizer.global_clipnorm=1.5"]).optimizer)
    assert (optimizer.weight_decay, optimizer.global_clipnorm) == (0.01, 1.5)
    assert optimizer.clipnorm is None


def test_overrides_reach_the_constructor():
    optimizer = build_optimizer(typed_config(["optimizer=momentum", "optimizer.learning_rate=0.05",
                                                "optimizer.momentum=0.5"]).optimizer)
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert (float(optimizer.learning_rate), optimizer.momentum) == (pytest.approx(0.05), 0.5)


def test_a_bad_argument_is_a_config_error():
    from kexp.config.errors import ConfigError

    with pytest.raises(ConfigError, match=r"optimizer \(keras.optimizers.SGD\) — .*momentum"):
        build_optimizer(typed_config(["optimizer=sgd", "optimizer.momentum=-1"]).optimizer)
