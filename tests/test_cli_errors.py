"""Bad input on the command line: one line, exit code 2, no traceback, no run directory.

These run the real ``python -m kexp``; all but the last stop before TensorFlow
is imported, so each takes about a second.
"""

import pytest

from tests.conftest import TINY_CNN, run_kexp, write_npz


def assert_clean_failure(result, cwd, expected: str, tensorflow_started: bool = False):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if tensorflow_started:  # TensorFlow's C++ runtime logs its device probe to stderr
        lines = [line for line in lines if line.startswith("kexp:")]
    assert result.returncode == 2, result.stderr
    assert lines == [expected] or (len(lines) == 1 and lines[0].startswith(expected)), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    outputs = cwd / "outputs"
    assert not outputs.exists() or not any(outputs.rglob("*")), list(outputs.rglob("*"))
    assert not (cwd / "multirun").exists()


@pytest.mark.parametrize("args, expected", [
    (["model=resnet9000"], "kexp: config error: model=resnet9000 — unknown option; available: cnn, mlp"),
    (["optimizer=adamx"], "kexp: config error: optimizer=adamx — unknown option; available: adam,"),
    (["trainer.foo=1"], "kexp: config error: trainer.foo=1 — unknown key 'foo'; trainer has: epochs,"),
    (["trainer.epochs=0"], "kexp: config error: trainer.epochs=0 — must be an integer ≥ 1"),
    (["optimizer.learning_rate=-0.01"],
     "kexp: config error: optimizer.learning_rate=-0.01 — must be a number > 0"),
    (["data=mnist", "data.path=/nowhere/mnist.npz"],
     "kexp: config error: data.path=/nowhere/mnist.npz — no such file"),
    (["-m", "model=cnn,mlp", "regularization.dropout=0,1.5"],
     "kexp: config error: regularization.dropout=1.5 — must be in [0, 1)"),
])
def test_config_mistakes(tmp_path, args, expected):
    assert_clean_failure(run_kexp(args, tmp_path), tmp_path, expected)


def test_npz_without_the_four_arrays(tmp_path):
    path = write_npz(tmp_path / "half.npz", x_test=None, y_test=None)
    result = run_kexp(["data=mnist", f"data.path={path}"], tmp_path)
    assert_clean_failure(result, tmp_path, f"kexp: data error: data.path={path} — missing arrays x_test, y_test")


def test_data_error_found_during_the_run_removes_the_run_directory(tmp_path):
    # A label outside 0.. is only seen once the arrays are loaded (after TensorFlow starts).
    import numpy as np

    path = write_npz(tmp_path / "neg.npz", y_test=-np.ones(40, dtype="int64"))
    result = run_kexp([f"data.path={path}", *TINY_CNN], tmp_path)
    assert_clean_failure(result, tmp_path, "kexp: data error: y_test has label -1 — labels must be "
                         "integers 0..num_classes-1", tensorflow_started=True)
