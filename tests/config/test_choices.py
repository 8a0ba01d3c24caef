"""The closed choices are StrEnum field types: Hydra rejects other values while composing."""

import pytest
import yaml
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from kexp.config.choices import ACTIVATIONS, Activation, Precision
from kexp.config.flat import flat_config
from tests.conftest import compose_config


@pytest.mark.parametrize("overrides", [
    ["trainer.precision=fp16"], ["trainer.strategy=ddp"], ["model.activation=relux"],
    ["model=resnet50", "model.block_type=triple"], ["model=resnet20", "model.block=v3"],
    ["model=googlenet", "model.stem=tiny"], ["data=folder", "data.cache=ram"], ["schedule=one_cycle", "schedule.anneal=exp"],
    ["data.target_type=words"],
])
def test_hydra_rejects_a_value_outside_the_choice_while_composing(overrides):
    with pytest.raises((HydraException, OmegaConfBaseException)) as raised:
        compose_config(overrides)
    assert "expected one of" in f"{raised.value} {raised.value.__cause__}"


def test_a_choice_reads_and_stores_as_its_string():
    cfg = compose_config(["trainer.precision=mixed_bfloat16", "model.activation=gelu"])
    assert cfg.trainer.precision == "mixed_bfloat16" and isinstance(cfg.trainer.precision, Precision)
    assert f"{cfg.model.activation}" == "gelu" and cfg.model.activation in ACTIVATIONS
    assert Activation("gelu") in ("gelu",) and {"gelu": 1}[cfg.model.activation] == 1  # hashes as its string
    flat = flat_config(cfg)  # what run dirs store and MLflow logs
    assert flat["trainer.precision"] == "mixed_bfloat16" and type(flat["trainer.precision"]) is str
    assert yaml.safe_load(yaml.safe_dump(flat))["model.activation"] == "gelu"
