"""Registries fill themselves from their package and name the choices on a miss."""

import pytest

from kexp.config.errors import ConfigError
from kexp.config.registry import Registry


def test_unknown_name_lists_what_is_available():
    from kexp.models import MODELS

    with pytest.raises(ConfigError) as err:
        MODELS.get("resnet9000")
    assert err.value.one_line().startswith("kexp: config error: model.builder=resnet9000 — unknown; available: ")
    assert "cifar_resnet, cnn, googlenet, mlp, resnet, vgg" in str(err.value)


def test_register_and_get():
    registry = Registry("thing", "kexp.data")

    @registry.register("a")
    def a():
        return 1

    assert registry.get("a") is a
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("a")(lambda: 2)
