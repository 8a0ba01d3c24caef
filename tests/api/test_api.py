"""``kexp.run`` / ``kexp.sweep`` / ``kexp.compare``: the CLI's files as Python objects, and the docs' notebook."""

import sys
from pathlib import Path

import matplotlib.figure
import pandas as pd
import pytest
import yaml

import kexp
from tests.conftest import REPO, TINY_CNN

TINY = [*TINY_CNN, "data.train_size=200", "data.test_size=60", "trainer.epochs=2", "trainer.save_model=false"]


def test_run_sweep_and_compare_return_the_files_the_cli_writes(tmp_path, capsys):
    first = kexp.run([*TINY, "model.dense_units=[16]"], cwd=tmp_path)
    assert "epoch 2/2 accuracy=" in capsys.readouterr().out  # progress: one line per epoch
    assert first.run_dir.parent.parent == tmp_path / "outputs" and first.config.model.dense_units == [16]
    assert first.metrics.equals(pd.read_csv(first.run_dir / "metrics.csv").iloc[0])
    assert first.status == "ok" and first.metrics["epochs"] == 2 and len(first.history) == 2
    assert first.history["val_accuracy"].max() == pytest.approx(first.metrics["best_val_accuracy"])
    assert isinstance(first.curves(), matplotlib.figure.Figure) and "<img" in first._repr_html_()

    sweep = kexp.sweep({"optimizer": ["sgd", "adam"], "seed": 1}, TINY, cwd=tmp_path, progress=False)
    assert "accuracy=" not in capsys.readouterr().out  # progress=False: no epoch lines
    assert all(r.config.model.dense_units == [32] for r in sweep.runs)  # another call, its own config
    assert len(sweep.runs) == 2 and sweep.sweep_dir.parent.parent.name == "multirun"
    assert sorted(sweep.summary["optimizer"]) == ["adam", "sgd"] and set(sweep.summary["status"]) == {"ok"}
    assert {"compare_accuracy", "compare_loss"} <= set(sweep.figures) and sweep.report.is_file()
    assert all(r.config.seed == 1 for r in sweep.runs)

    table = kexp.compare([sweep.sweep_dir, first.run_dir], metric="test_accuracy")
    assert len(table) == 3 and table["test_accuracy"].is_monotonic_decreasing


@pytest.mark.parametrize("call, line", [
    (lambda: kexp.run(["trainer.epochs=0"]), "kexp: config error: trainer.epochs=0 — must be an integer ≥ 1"),
    (lambda: kexp.run(["model=nope"]), "kexp: config error: model=nope — unknown option; available: "),
    (lambda: kexp.run(["trainer.epoch=3"]), "kexp: config error: trainer.epoch=3 — unknown key 'epoch'; trainer has: "),
    (lambda: kexp.sweep({"model": ["cnn", "nope"]}), "kexp: config error: model=nope — unknown option"),
    (lambda: kexp.run("model=mlp"), "kexp: input error: overrides='model=mlp' — give a list, e.g. ['model=mlp']"),
    (lambda: kexp.compare(["nowhere"]), "kexp: input error: nowhere: no such directory"),
])
def test_bad_input_raises_kexp_error_with_the_cli_line(tmp_path, monkeypatch, call, line):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(kexp.KexpError) as raised:
        call()
    assert str(raised.value).startswith(line) and raised.value.one_line() == str(raised.value)
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").rglob("metrics.csv"))


def test_grid_values_reach_the_config_as_python_gave_them():
    """A grid's values in Hydra's grammar: None once became the string 'None', "1,2" a sweep of 1 and 2."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from kexp.api import _values

    values = [None, True, 3, 1e-05, "cnn", "1,2", "None", "null", "3", "it's here", "C:\\x\\", [16, 32], {3: 0.9}]
    (override,) = OverridesParser.create().parse_overrides([f"key={_values(values)}"])
    assert [getattr(v, "text", v) for v in override.sweep_iterator()] == values
    (one,) = OverridesParser.create().parse_overrides([f"key={_values([[16, 32]])}"])  # one list value
    assert one.value() == [16, 32]
    assert _values("range(3)") == "range(3)" and _values(None) == "null"  # (a string: as the command line types it)
    with pytest.raises(kexp.KexpError, match="'a b' — a mapping key in an override is"):
        _values({"a b": 1})


def test_importing_kexp_stays_cheap():
    import subprocess

    code = "import sys, kexp; kexp.run; print(sorted(m for m in ('pandas', 'keras', 'hydra') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "[]", done.stderr


def test_the_docs_notebook_runs_on_a_jupyter_kernel(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(REPO / "docs" / "examples" / "notebook.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "kexp: config error: trainer.epochs=0 — must be an integer ≥ 1" in text
    assert "['compare_accuracy', 'compare_loss']" in text and "epoch 3/3" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the curves figure
    runs = sorted(Path(tmp_path, "outputs").rglob("metrics.csv"))
    assert len(runs) == 3 and {yaml.safe_load((r.parent / "run.yaml").read_text())["status"] for r in runs} == {"ok"}


def test_kexp_compare_stays_the_function_once_its_command_package_is_imported():
    """``python -m kexp.compare``'s package takes the name ``kexp.compare`` when imported (its CLI moved
    there); calling it is still the Python API's compare."""
    import kexp
    import kexp.compare.cli  # noqa: F401

    with pytest.raises(kexp.KexpError, match="nowhere: no such directory"):
        kexp.compare(["nowhere"])
