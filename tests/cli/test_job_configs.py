"""A sweep's jobs composed once per choice of config groups are what Hydra composes for each job."""

import pytest
from omegaconf import OmegaConf

from kexp.cli import group_choices, preflight
from kexp.cli.job_configs import JobConfigs, job_overrides
from kexp.cli.main import register_resolvers
from kexp.compat import hydra as hydra_compat

SWEEPS = {
    "seeds": ["seed=0,1,2", "model=mlp", "trainer.epochs=2"],
    "groups and values": ["model=mlp,cnn", "optimizer=sgd,adam", "optimizer.learning_rate=0.1,0.01"],
    "a group's own keys": ["model=mlp", "model.hidden_units=[16],[32,16]", "regularization=dropout,l2"],
    "an experiment, added keys, Hydra's": ["experiment=slides_mnist", "trainer.epochs=1,2",
                                           "++trainer.batch_size=64", "hydra.sweep.dir=elsewhere"],
}


def _without_command_line(cfg):
    """The config as text, less the two records of the command line a job's composition makes."""
    cfg = OmegaConf.to_container(cfg, resolve=False)
    cfg["hydra"]["overrides"]["task"] = cfg["hydra"]["job"]["override_dirname"] = None
    return OmegaConf.to_yaml(cfg)


@pytest.mark.parametrize("argv", SWEEPS.values(), ids=SWEEPS.keys())
def test_each_job_is_the_config_hydra_composes_for_it_with_one_composition_per_group_choice(argv):
    register_resolvers()
    args = preflight.parse_args(["-m", *argv])
    hydra = preflight.create_hydra(args)
    try:
        overrides = preflight.parse_overrides(args.overrides, hydra)
        groups = set(group_choices.all_groups(hydra_compat.ConfigGroups(hydra)))
        composed = []

        def compose(job):
            composed.append(job)
            return preflight.compose(hydra, "config", job)

        configs = JobConfigs(compose, overrides, groups)
        jobs = job_overrides(overrides)
        for job in jobs:
            assert _without_command_line(configs.config(job)) == _without_command_line(
                preflight.compose(hydra, "config", job))
        choices = {tuple(o for o in job if o.split("=")[0] in groups or o.startswith(("hydra", "++"))) for job in jobs}
        assert len(composed) == len(choices) < len(jobs)
    finally:
        hydra_compat.clear()


def test_a_value_that_does_not_apply_is_hydras_error_in_one_line():
    from kexp.config.errors import ConfigError

    register_resolvers()
    with pytest.raises(ConfigError) as seen:
        preflight.preflight(["-m", "model=mlp", "trainer.epochs=2,many"])
    with pytest.raises(ConfigError) as alone:
        preflight.preflight(["model=mlp", "trainer.epochs=many"])
    assert str(seen.value) == str(alone.value)
    assert "trainer.epochs" in str(seen.value) and "many" in str(seen.value)
