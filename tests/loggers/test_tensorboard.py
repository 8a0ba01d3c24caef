"""The TensorBoard logger's choice and errors (its event files: tests/training/test_configured_callbacks.py;
the sweep's HParams dashboard: tests/loggers/test_sweep.py)."""

import importlib.util

import pytest

from kexp.config.errors import ConfigError
from kexp.loggers import check_loggers, chosen_loggers
from tests.conftest import compose_config, typed_config


@pytest.mark.parametrize("overrides, chosen", [
    ([], []),
    (["logger=[csv,tensorboard]"], ["tensorboard"]),
    (["logger=[csv,mlflow,tensorboard]"], ["mlflow", "tensorboard"]),
    (["logger=[tensorboard]"], ["tensorboard"]),
])
def test_the_loggers_a_config_chooses(overrides, chosen):
    assert chosen_loggers(typed_config(overrides).loggers) == chosen


@pytest.mark.parametrize("overrides, key", [(["logger=[csv,tensorboard]"], r"logger=\[...,tensorboard\]")])
def test_missing_packages_are_one_line_naming_the_key_used(monkeypatch, overrides, key):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorboard" else real(name, *a))
    with pytest.raises(ConfigError, match=f"{key} — needs the tensorboard package "
                                          r"\(pip install 'kexp\[tensorboard\]'\)"):
        check_loggers(typed_config(overrides).loggers)
