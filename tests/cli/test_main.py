"""The CLI entry point: Hydra help, fast start-up without TensorFlow."""

import subprocess
import sys

from kexp.cli.main import run_dir_suffix, split_overrides
from tests.conftest import REPO, kexp_in_process, run_kexp


def test_help_lists_groups_and_options(tmp_path):
    result = run_kexp(["--help"], tmp_path)
    assert result.returncode == 0
    assert ("model: alexnet, backbone, bn_cnn, cnn, deepobs_2c2d, deepobs_3c3d, googlenet, keras_mnist_cnn, mlp, "
            "mlp784, nnc_cnn, plain110,") in result.stdout
    assert "se_resnet20, se_resnet50, vgg11, vgg13, vgg16, vgg19, vit_base, vit_small, vit_tiny, vit_tiny_p4, zfnet" in result.stdout
    assert ("optimizer: adabound, adadelta, adagrad, adam, adamax, adamw, lion, momentum, muon, nadam, "
            "nesterov, radam, rmsprop, schedule_free_adamw, sgd") in result.stdout
    assert "regularization: augment, batchnorm, dropout, l1, l1l2, l2, none, sparse" in result.stdout
    assert "schedule: constant, cosine, exponential, one_cycle, plateau, step" in result.stdout
    assert "task: binary, multiclass, regression" in result.stdout
    assert ("experiment: deepobs_cifar10_3c3d, deepobs_fmnist_2c2d, deepobs_mnist_2c2d, degradation, "
            "demo_batchnorm, demo_optimizers, demo_overfitting, demo_step_vs_sigmoid, demo_vanishing_gradients, "
            "keras_mnist_cnn, resnet_paper_cifar10, slides_mnist") in result.stdout
    assert "data: cifar10, cifar100, csv, custom, diabetes, digits, fashion_mnist, folder, mnist" in result.stdout


def test_cfg_job_prints_the_composed_config(tmp_path):
    result = run_kexp(["--cfg", "job", "model=mlp", "trainer.epochs=3"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "name: mlp" in result.stdout and "epochs: 3" in result.stdout
    typo = run_kexp(["--cfg", "job", "epochs=3"], tmp_path)  # Hydra's five lines, then kexp's one
    assert (typo.returncode, typo.stdout) == (2, "")
    assert typo.stderr.strip().endswith("unknown key 'epochs'; the config has: data, model, optimizer, schedule, "
                                        "regularization, task, trainer, logger, seed, name, objective, resume; "
                                        "did you mean trainer.epochs?")
    assert len(typo.stderr.strip().splitlines()) == 1


def imported_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh Python has imported after running ``code``."""
    program = f"import sys\n{code}\nprint(','.join(m for m in {modules!r} if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_startup_path_imports_neither_tensorflow_nor_keras():
    code = ("import kexp, kexp.cli.main\n"
            "from kexp.cli.preflight import preflight\n"
            "preflight(['model=mlp', 'trainer.epochs=2'])\n"
            "preflight(['-m', 'model=cnn,mlp'])")
    assert imported_after(code, ("tensorflow", "keras")) == []


def test_the_help_path_imports_neither_the_backend_nor_pandas():
    # (pandas alone costs about a second of --help on the 2-core build machine)
    code = ("from kexp.cli.help import render_help\n"
            "from kexp.cli.main import register_resolvers\n"
            "from kexp.cli.preflight import preflight\n"
            "register_resolvers()\n"
            "preflight(['--help'])\n"
            "assert 'model' in render_help(['--help'])")
    assert imported_after(code, ("tensorflow", "keras", "jax", "pandas", "sklearn")) == []


def test_run_dir_suffix_is_one_safe_path_component():
    assert run_dir_suffix("") == ""
    assert run_dir_suffix("model=mlp,optimizer=sgd") == "_model=mlp,optimizer=sgd"
    assert "/" not in run_dir_suffix("data.path=/a/b.npz")
    assert len(run_dir_suffix("x" * 500)) == 61
    assert run_dir_suffix("model.filters=[8,16],seed=1") == "_seed=1,model.filters=[8,16]"  # seed first
    long = "data.test_size=100,data.train_size=200,model.dense_units=[32],model.filters=[8,16]"
    assert run_dir_suffix(long) == "_data.test_size=100,data.train_size=200,+2"


def test_split_overrides_keeps_lists_whole():
    assert split_overrides("a=[1,2],b=3,c={x:1,y:2}") == ["a=[1,2]", "b=3", "c={x:1,y:2}"]
    assert split_overrides("") == []


def test_users_add_their_own_configs_with_config_dir_or_searchpath(tmp_path):
    own = tmp_path / "my_conf"
    (own / "model").mkdir(parents=True)
    (own / "model" / "tiny_mlp.yaml").write_text(
        "name: tiny_mlp\nbuilder: mlp\nhidden_units: [16]\nactivation: tanh\nkernel_initializer: he_uniform\n")
    by_flag = kexp_in_process(["--config-dir", str(own), "--cfg", "job", "model=tiny_mlp"], tmp_path)
    assert by_flag.returncode == 0, by_flag.stderr
    assert "name: tiny_mlp" in by_flag.stdout and "builder: mlp" in by_flag.stdout
    by_key = kexp_in_process(["--cfg", "job", "model=tiny_mlp", f"hydra.searchpath=[file://{own}]"], tmp_path)
    assert by_key.returncode == 0, by_key.stderr
    assert "hidden_units:\n  - 16" in by_key.stdout
    help_text = kexp_in_process(["--config-dir", str(own), "--help"], tmp_path).stdout
    assert "tiny_mlp" in help_text.split("== Config ==")[0]
    unknown = kexp_in_process(["model=tiny_mlp", "--cfg", "job"], tmp_path)
    assert unknown.returncode != 0
    # a real run goes through preflight, which must search the user's directory too
    checked = kexp_in_process(["--config-dir", str(own), "model=tiny_mlp", "trainer.epochs=0"], tmp_path)
    assert checked.returncode == 2
    assert checked.stderr.strip() == "kexp: config error: trainer.epochs=0 — must be an integer ≥ 1"
    missing = kexp_in_process(["--config-dir", str(tmp_path / "nope"), "model=tiny_mlp"], tmp_path)
    assert missing.stderr.strip() == f"kexp: config error: --config-dir {tmp_path / 'nope'} — no such directory"
    trained = kexp_in_process(["--config-dir", str(own), "model=tiny_mlp", "data.train_size=100",
                        "data.test_size=50", "trainer.epochs=1", "hydra.run.dir=r"], tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "kexp: tiny_mlp-adam: 12,730 parameters" in trained.stdout  # 784*16+16 + 16*10+10


def test_paths_with_a_tilde_work_as_the_docs_type_them(tmp_path):
    from tests.conftest import write_image_tree

    home = tmp_path / "home"
    write_image_tree(home / "photos")
    line = next(text for text in (REPO / "docs" / "your-data.md").read_text().splitlines()
                if text.startswith("python -m kexp data=folder data.path=~/photos "))
    args = line.split("#")[0].split()[3:]  # the docs' own command, as typed
    assert args == ["data=folder", "data.path=~/photos"]
    tiny = ["model=mlp", "model.hidden_units=[16]", "data.image_size=[16,16]", "trainer.epochs=1",
            "trainer.save_model=false", "hydra.run.dir=~/runs/$RUN_NAME"]
    done = kexp_in_process([*args, *tiny], tmp_path, env={"HOME": str(home), "RUN_NAME": "first"})
    assert done.returncode == 0, done.stderr
    assert f"kexp: run directory {home / 'runs' / 'first'}" in done.stdout
    assert (home / "runs" / "first" / "metrics.csv").is_file() and not (tmp_path / "~").exists()


def test_a_run_directory_kexp_named_is_taken_as_typed(tmp_path):
    """kexp names run directories ``…_data.train_size=200,model=mlp``; pasted unquoted into
    hydra.run.dir= (tab completion types it so) it was Hydra's grammar error."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from kexp.cli.main import paths_as_typed
    from tests.conftest import preflight_error

    named = str(tmp_path / "outputs" / "15-27-04_data.train_size=200,model=mlp,trainer.epochs=1")
    for key in ("hydra.run.dir", "data.path", "+hydra.sweep.dir"):
        [argument] = paths_as_typed([f"{key}={named}"])
        assert OverridesParser.create().parse_override(argument).value() == named
    assert preflight_error(["model=mlp", f"hydra.run.dir={named}"]).startswith("kexp: config error: hydra.run.dir=")
    assert preflight_error(paths_as_typed(["model=mlp", f"hydra.run.dir={named}"])) == ""
    # sweep functions keep their own '=' (glob's exclude=, range's step=), sweeps their commas
    sweeps = ["model=glob(plain*,exclude=[plain1*])", "trainer.epochs=range(1,5,step=2)", "model=cnn,mlp"]
    assert paths_as_typed(sweeps) == sweeps
