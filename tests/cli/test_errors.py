"""Bad input on the command line: one line, exit code 2, no traceback, no run directory.

These run the real ``python -m kexp``. Config mistakes, unreadable data
files and problems inside the arrays stop before TensorFlow is imported
(about a second each); only "too small for the model" needs the model built
(so it runs in the test's process, which has imported Keras).
The full list of config mistakes is checked in-process (tests/config/test_validation.py).
"""

import numpy as np
import pytest

from tests.conftest import TINY_CNN, kexp_in_process, run_kexp, write_npz


def assert_clean_failure(result, cwd, expected: str, tensorflow_started: bool = False):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if tensorflow_started:  # TensorFlow's C++ runtime logs its device probe to stderr
        lines = [line for line in lines if line.startswith("kexp:")]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    outputs = cwd / "outputs"
    assert not outputs.exists() or not any(outputs.rglob("*")), list(outputs.rglob("*"))
    assert not (cwd / "multirun").exists()


# Every config mistake is checked in-process in tests/config/test_validation.py; these few go
# through real processes for the exit code, the single line and "nothing written".
CONFIG_MISTAKES = [
    (["model=resnet9000"], "kexp: config error: model=resnet9000 — unknown option; available: alexnet,"),
    (["trainer.deterministic=maybe"], "kexp: config error: trainer.deterministic=maybe — must be true or false"),
    (["-m", "model=cnn,mlp", "regularization.dropout=0,1.5"],
     "kexp: config error: regularization.dropout=1.5 — must be in [0, 1) or null"),
    (["model=nope", "--help"], "kexp: config error: model=nope — unknown option; available: alexnet,"),
]


@pytest.mark.parametrize("args, expected", CONFIG_MISTAKES, ids=[" ".join(a) for a, _ in CONFIG_MISTAKES])
def test_config_mistakes(tmp_path, args, expected):
    assert_clean_failure(run_kexp(args, tmp_path), tmp_path, expected)


def test_mirrored_needs_tensorflow(tmp_path):
    result = run_kexp(["trainer.strategy=mirrored"], tmp_path, env={"KERAS_BACKEND": "jax"})
    assert_clean_failure(result, tmp_path, "kexp: config error: trainer.strategy=mirrored — needs "
                         "KERAS_BACKEND=tensorflow (this run: jax); on JAX use data_parallel; or default")


def test_an_output_directory_that_cannot_be_created(tmp_path):
    (tmp_path / "a_file").write_text("not a directory")
    result = run_kexp(["hydra.run.dir=a_file/run"], tmp_path)
    assert_clean_failure(result, tmp_path, "kexp: config error: hydra.run.dir=a_file/run — cannot "
                         f"create the run directory in {tmp_path / 'a_file'} (not a directory)")


def test_npz_without_the_four_arrays(tmp_path):
    path = write_npz(tmp_path / "half.npz", x_test=None, y_test=None)
    result = run_kexp(["data=mnist", f"data.path={path}"], tmp_path)
    assert_clean_failure(result, tmp_path, f"kexp: data error: data.path={path} — missing arrays x_test, y_test")


def test_a_file_that_is_not_an_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_text("this is a text file")
    result = run_kexp(["data=mnist", f"data.path={path}"], tmp_path)
    assert_clean_failure(result, tmp_path, f"kexp: data error: data.path={path} — not a readable .npz file")


N = 120
DATA_MISTAKES = [
    ("negative label", {"y_test": -np.ones(40, dtype="int64")}, [],
     "kexp: data error: data.path={path} — y_test has label -1 — labels must be integers 0..num_classes-1"),
    ("label only in test", {"y_test": np.full(40, 12, dtype="int64")}, [],
     "kexp: data error: data.path={path} — y_test has label 12 but y_train only 0..9"),
    ("length mismatch", {"y_train": np.zeros(7, dtype="uint8")}, [],
     "kexp: data error: data.path={path} — x_train has 120 samples but y_train has 7 — they must match"),
    ("nan pixels", {"x_train": np.where(np.eye(28)[None] > 0, np.nan, 0.5).repeat(N, 0)}, [],
     "kexp: data error: data.path={path} — x_train has 3360 NaN or infinite values"),
    ("too small for the model", {"x_train": np.zeros((N, 6, 6), "uint8"), "x_test": np.zeros((40, 6, 6), "uint8")},
     [], "kexp: data error: data.path={path} — images of 6x6x1 are too small for model=cnn"),
    ("stray label", {"y_train": np.r_[np.arange(N - 1) % 10, 200]}, [],
     "kexp: data error: data.path={path} — y_train has labels 0..200 but no sample of class 10, 11, 12, 13, 14 "
     "and 185 more"),
    ("train_size below classes", {}, ["data.train_size=5"],
     "kexp: data error: data.train_size=5 — must be ≥ the number of classes (10)"),
]


@pytest.mark.parametrize("arrays, extra, expected", [c[1:] for c in DATA_MISTAKES],
                         ids=[c[0] for c in DATA_MISTAKES])
def test_data_mistakes_found_while_loading(tmp_path, arrays, extra, expected):
    path = write_npz(tmp_path / "bad.npz", n_train=N, **arrays)
    # The data is loaded before the backend: only the model's own check needs Keras, so that one runs
    # in this process, which has imported it (a new one would spend 11 CPU s on the import).
    model_check = "too small for model" in expected
    args = [f"data.path={path}", *TINY_CNN, *extra]
    result = kexp_in_process(args, tmp_path) if model_check else run_kexp(args, tmp_path)
    assert_clean_failure(result, tmp_path, expected.format(path=path), tensorflow_started=model_check)


def test_a_data_error_keeps_an_earlier_run_in_the_same_directory(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_text("status\ninterrupted\n")
    path = write_npz(tmp_path / "neg.npz", y_test=-np.ones(40, dtype="int64"))
    result = run_kexp([f"data.path={path}", *TINY_CNN, "hydra.run.dir=run"], tmp_path)
    assert result.returncode == 2
    assert (run / "metrics.csv").read_text() == "status\ninterrupted\n"
