"""Preflight understands every sweep form of Hydra's override grammar and never crashes on one."""

import pytest

from kexp.compat import hydra as hydra_compat
from kexp.config.location import config_dir
from kexp.cli.job_configs import job_overrides
from kexp.cli.preflight import parse_overrides
from kexp.cli.main import register_resolvers
from tests.conftest import preflight_error


def jobs(*overrides: str) -> list[list[str]]:
    register_resolvers()
    hydra = hydra_compat.create_hydra(str(config_dir()))
    try:
        return job_overrides(parse_overrides(list(overrides), hydra))
    finally:
        hydra_compat.clear()


@pytest.mark.parametrize("override, values", [
    ("model=cnn,mlp", ["model=cnn", "model=mlp"]),
    ("model=choice(cnn,mlp)", ["model=cnn", "model=mlp"]),
    ("trainer.epochs=range(1,4)", ["trainer.epochs=1", "trainer.epochs=2", "trainer.epochs=3"]),
    ("model=glob(plain2*)", ["model=plain20"]),
    ("model=glob(resnet1*,exclude=resnet1?)",
     ["model=resnet101", "model=resnet110", "model=resnet152"]),
    ("model=sort(mlp,cnn)", ["model=cnn", "model=mlp"]),
    ("optimizer.learning_rate=interval(0.001,0.1)",  # continuous: both ends are checked
     ["optimizer.learning_rate=0.001", "optimizer.learning_rate=0.1"]),
    ("trainer.batch_size=tag(log,interval(8,64))",
     ["trainer.batch_size=8.0", "trainer.batch_size=64.0"]),
    ("trainer.batch_size=tag(int,interval(8,64))", ["trainer.batch_size=8", "trainer.batch_size=64"]),
    ("seed=tag(seeds,choice(0,1))", ["seed=0", "seed=1"]),
    ("trainer.epochs=3", ["trainer.epochs=3"]),
])
def test_each_sweep_form_expands_to_the_values_a_job_gets(override, values):
    assert [job[0] for job in jobs(override)] == values


def test_a_shuffled_sweep_keeps_its_values():
    assert sorted(j[0] for j in jobs("seed=shuffle(0,1,2)")) == ["seed=0", "seed=1", "seed=2"]


def test_the_grid_is_the_product_of_the_sweeps():
    grid = jobs("model=glob(plain*,exclude=[plain1*,plain3*,plain4*])", "optimizer=sgd,adam")
    assert grid == [["model=plain20", "optimizer=sgd"], ["model=plain20", "optimizer=adam"],
                    ["model=plain56", "optimizer=sgd"], ["model=plain56", "optimizer=adam"]]


@pytest.mark.parametrize("argv, message", [
    (["-m", "model=glob(plain2*)", "model.block=v3"], "model.block=v3 — must be one of v1, v2"),
    # sweeps of no value: Hydra launched 0 jobs and exited 0; range's step 0 was a traceback
    (["-m", "model=glob(nothing*)"], "model=glob(nothing*) — gives no values, so the sweep would run no job"),
    (["-m", "seed=range(3,0)"], "seed=range(3,0) — gives no values, so the sweep would run no job"),
    (["-m", "seed=range(0,3,0)"], "seed=range(0,3,0) — range() arg 3 must not be zero"),
    # the directory Hydra does not read in this mode (the run went to outputs/… instead, exit 0)
    (["-m", "model=cnn,mlp", "hydra.run.dir=mine"], "hydra.run.dir=mine — not read: a sweep (-m) writes its jobs "
                                                   "into hydra.sweep.dir=…"),
    (["model=mlp", "hydra.sweep.dir=mine"], "hydra.sweep.dir=mine — not read: a single run writes into hydra.run.dir=…"),
    # another plugin's setting: the hint once said "+hydra.launcher.n_jobs=2", which the basic launcher ignores
    (["-m", "model=cnn,mlp", "hydra.launcher.n_jobs=2"], "hydra.launcher.n_jobs=2 — unknown key 'n_jobs'; "
     "hydra.launcher has: _target_; n_jobs is a setting of hydra/launcher=joblib: add hydra/launcher=joblib"),
    (["-m", "model=cnn,mlp", "hydra.sweeper.n_trials=3"], "hydra.sweeper.n_trials=3 — unknown key 'n_trials'; "
     "hydra.sweeper has: _target_, max_batch_size, params; n_trials is a setting of hydra/sweeper=optuna: add "
     "hparams_search=optuna"),
    # a traceback after the preflight (name: ${model.name}); after the training, exit 1 (the objective)
    (["~model"], "~model — every run has a model: choose another option (model=…) instead"),
    (["-m", "model=cnn,mlp", "~objective"], "~objective — every run reads objective: give it another value"),
    # Hydra's ValueError traceback ("Config group override must be a string or a list. Got NoneType")
    (["logger=null"], "logger=null — not an option; leave the group out for its default, or choose one of csv, "
     "mlflow, tensorboard"),
    (["-m", "model=cnn,null"], "model=null — not an option; leave the group out for its default, or choose one of"),
    # Hydra's traceback after the preflight (KexpBasicSweeper.__init__() got an unexpected keyword argument)
    (["-m", "model=cnn,mlp", "+hydra.sweeper.foo=1"],
     "hydra.sweeper.foo — not a setting of the basic sweeper (it has max_batch_size, params)"),
    # (a typo of a key it has; it was trainer.batch_size)
    (["-m", "model=cnn,mlp", "hydra.sweeper.max_batch_siz=3"], "hydra.sweeper.max_batch_siz=3 — unknown key "
     "'max_batch_siz'; hydra.sweeper has: _target_, max_batch_size, params; did you mean hydra.sweeper.max_batch_size?"),
    # joblib's traceback after the preflight ("n_jobs == 0 in Parallel has no meaning")
    (["-m", "seed=0,1", "hydra/launcher=joblib", "hydra.launcher.n_jobs=0"],
     "hydra.launcher.n_jobs=0 — must be the number of jobs side by side (1, 2, …) or -1 for every core"),
    # a continuous range on the grid sweeper: Hydra's traceback after the preflight
    (["-m", "model=cnn,mlp", "optimizer.learning_rate=interval(0.0001,0.1)"],
     "optimizer.learning_rate=interval(0.0001,0.1) — a continuous range, which a search draws from (python -m kexp "
     "-m hparams_search=optuna 'optimizer.learning_rate=interval(0.0001,0.1)'); a sweep takes values: a,b,c or "
     "range(…)"),
    (["-m", "optimizer.learning_rate=interval(-1,0.1)"], "optimizer.learning_rate=-1.0 — must be a number > 0"),
    (["-m", "hparams_search=optuna", "optimizer.learning_rate=tag(log,interval(0.0001,0.1))"], ""),
    (["-m", "trainer.epochs=range(0,3)"], "trainer.epochs=0 — must be an integer ≥ 1"),
    (["-m", "model=glob(*)", "trainer.epochs=2"],  # Hydra's glob matches the schemas too
     "model=_cifar_resnet — a schema or base config, not an option; with a glob: glob(*,exclude=_*)"),
    # every model on the digits' 28x28: the ViTs with 16x16 patches cannot take them (once found at run time)
    (["-m", "model=glob(*,exclude=_*)", "trainer.epochs=2"], "model.patch_size=16 — must divide the image size (28x28"),
    (["-m", "model=glob(*,exclude=[_*,vit_base,vit_small,vit_tiny])", "trainer.epochs=2"], ""),
    (["model=nope", "--help"], "model=nope — unknown option; available: alexnet,"),
    # a configuration twice: trained twice, and compared as if the copy were another seed
    (["-m", "model=cnn,cnn"], "model=cnn,cnn — the sweep would train one configuration twice (model=cnn) and count "
                              "the copy in its comparison (as another seed where seeds are swept)"),
    (["-m", "model=cnn,mlp", "optimizer.learning_rate=0.001,1e-3"],
     "optimizer.learning_rate=0.001,1e-3 — the sweep would train one configuration twice (model=cnn "),
    (["-m", "model=cnn,mlp", "seed=0,1", "optimizer.learning_rate=0.001,0.002"], ""),
    # early stopping off and on, compared: its monitor is read by the jobs that have it on
    (["-m", "regularization.early_stopping.patience=null,3", "regularization.early_stopping.monitor=val_accuracy"], ""),
    (["-m", "task=multiclass,binary", "task.positive_class=3"], ""),
    (["model=cnn,mlp"],  # a sweep without -m (was Hydra's six-line error, exit 1)
     "model=cnn,mlp — a sweep over model, which runs with -m: python -m kexp -m model=cnn,mlp; "
     "a list value is written model=[cnn,mlp]"),
])
def test_sweeps_are_checked_without_crashing(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # (a search opens its default storage under outputs/)
    error = preflight_error(argv)
    assert error.startswith(f"kexp: config error: {message}") if message else error == ""


def test_an_output_directory_that_cannot_be_created_is_found_by_trying(tmp_path, monkeypatch):
    # (a file as parent, with exit code and no directory left: tests/cli/test_errors.py)
    monkeypatch.chdir(tmp_path)
    # /proc accepts no new folders, whatever the permission bits say (root may write anywhere else)
    assert preflight_error(["-m", "hydra.sweep.dir=/proc/kexp-sweep"]).startswith(
        "kexp: config error: hydra.sweep.dir=/proc/kexp-sweep — cannot create the run directory in /proc (")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kexp-probe")]


def test_claiming_a_directory_where_none_can_be_made_is_one_line():
    from kexp.config.errors import ConfigError
    from kexp.runs.directory import claim_directory

    with pytest.raises(ConfigError, match=r"^hydra.run.dir=/proc/kexp/run — cannot create the run directory: "):
        claim_directory("/proc/kexp/run")


def test_a_launcher_or_search_whose_plugin_is_missing_names_the_extra(monkeypatch):
    from kexp.cli import plugins

    monkeypatch.setitem(plugins.PLUGINS, ("hydra/launcher", "ray"), ("hydra_plugins.not_here", "ray"))
    monkeypatch.setitem(plugins.PLUGINS, ("hparams_search", "optuna"), ("hydra_plugins.gone", "sweep"))
    assert preflight_error(["-m", "hydra/launcher=ray", "seed=0,1"]) == (
        "kexp: config error: hydra/launcher=ray — needs the Hydra plugin not_here, not installed: "
        "pip install 'kexp[ray]'")
    assert preflight_error(["-m", "hparams_search=optuna"]).endswith("plugin gone, not installed: "
                                                                     "pip install 'kexp[sweep]'")
    monkeypatch.undo()
    assert preflight_error(["-m", "hydra/launcher=ray", "seed=0,1"]) == ""  # installed here


@pytest.mark.parametrize("override, message", [
    ("data.test_fraction=0.3", "data.test_fraction=0.3 — renamed: write data.test_split=0.3"),
    ("data.targets=numbers", "data.targets=numbers — renamed: write data.target_type=numbers"),
    ("trainer.diagnostics=true", "trainer.diagnostics=true — renamed: write trainer.gradient_flow=true"),
    ("+trainer.tensorboard=true", "trainer.tensorboard=true — removed in kexp 0.2: use logger=[csv,tensorboard]"),
])
def test_a_renamed_or_removed_key_is_one_line_naming_the_new_one(override, message):
    assert preflight_error([override]) == f"kexp: config error: {message}"
    assert preflight_error(["-m", "seed=0,1", override]) == f"kexp: config error: {message}"
