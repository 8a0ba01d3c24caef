"""kexp's only uses of Hydra's private modules still exist with the arguments kexp passes.

If this fails after a Hydra upgrade, update kexp/compat/hydra.py (and nothing else:
no other module imports hydra._internal).
"""

import importlib
import inspect
from pathlib import Path

import pytest

from kexp.compat import hydra as hydra_compat
from kexp.config.location import config_dir
from kexp.cli.main import register_resolvers


@pytest.mark.parametrize("dotted, arguments", hydra_compat.PRIVATE_API.items())
def test_each_private_name_and_its_arguments_exist(dotted, arguments):
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
            break
        except ImportError:
            continue
    for attribute in parts[split:]:
        target = getattr(target, attribute, None)
        assert target is not None, f"Hydra no longer has {dotted}: update kexp/compat/hydra.py"
    parameters = inspect.signature(target).parameters
    missing = [a for a in arguments if a not in parameters]
    assert not missing, f"{dotted} lost arguments {missing}: update kexp/compat/hydra.py"


def test_it_composes_as_hydra_main_does():
    register_resolvers()
    hydra = hydra_compat.create_hydra(str(config_dir()))
    try:
        cfg = hydra_compat.compose(hydra, "config", ["model=mlp", "trainer.epochs=3"])
        assert cfg.model.name == "mlp" and cfg.trainer.epochs == 3
        assert "model" in hydra.config_loader.list_groups("")
    finally:
        hydra_compat.clear()
    assert hydra_compat.parse_args(["-m", "seed=0,1"]).multirun is True


def test_no_other_module_imports_hydras_private_modules():
    package = Path(hydra_compat.__file__).parent.parent
    users = [str(p.relative_to(package)) for p in package.rglob("*.py")
             if "hydra._internal" in p.read_text() and p != Path(hydra_compat.__file__)]
    assert users == []


def test_the_groups_read_from_the_repository_are_the_loaders():
    """ConfigGroups reads ConfigLoaderImpl.repository (private): the same answers as the loader."""
    register_resolvers()
    hydra = hydra_compat.create_hydra(str(config_dir()))
    try:
        assert hasattr(hydra.config_loader, "repository"), "Hydra renamed ConfigLoaderImpl.repository"
        groups = hydra_compat.ConfigGroups(hydra)
        assert groups.list_groups("") == hydra.config_loader.list_groups("")
        for group in ("model", "optimizer", "hydra/launcher"):
            assert groups.get_group_options(group) == hydra.config_loader.get_group_options(group)
        assert "vgg16" in groups.get_group_options("model")
    finally:
        hydra_compat.clear()


def test_the_targets_a_config_node_names_are_collected_nested_ones_too():
    from omegaconf import OmegaConf

    from kexp.compat.hydra import config_targets, instantiate

    node = OmegaConf.create({"_target_": "collections.OrderedDict",
                             "inner": {"_target_": "fractions.Fraction", "numerator": 3, "denominator": 4},
                             "listed": [{"_target_": "decimal.Decimal", "value": "1.5"}, 7]})
    assert config_targets(node) == ["collections.OrderedDict", "fractions.Fraction", "decimal.Decimal"]
    assert config_targets({"plain": [1, 2]}) == []
    built = instantiate(node)  # (on Hydra 1.4 with exactly these targets whitelisted: no warning)
    assert str(built["inner"]) == "3/4" and str(built["listed"][0]) == "1.5"


def test_the_end_of_sweep_callbacks_do_nothing_while_an_exception_leaves_the_sweep(tmp_path):
    """Hydra 1.4 calls on_multirun_end from a `finally`; an interrupted sweep has not ended."""
    from omegaconf import OmegaConf

    from kexp.runs.sweep_end import SweepEnd

    ended = []

    class Recorder(SweepEnd):
        def sweep_ended(self, sweep_dir):
            ended.append(sweep_dir)

    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}}})
    with pytest.raises(KeyboardInterrupt):
        try:
            raise KeyboardInterrupt
        finally:
            Recorder().on_multirun_end(config=config)
    assert ended == []
    Recorder().on_multirun_end(config=config)
    assert ended == [tmp_path]
