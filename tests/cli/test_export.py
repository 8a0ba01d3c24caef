"""``python -m kexp.export``: each format exported, run by its own runtime, and checked against Keras."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from kexp.export.cli import main
from kexp.config.errors import ConfigError
from kexp.export.formats import FORMATS, ExportFormat, runtime
from tests.conftest import TINY_CNN, finished_run

FORMAT_NAMES = ["saved_model", "onnx", "litert", "openvino"]


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    return finished_run(root, [*TINY_CNN, "data.train_size=200", "data.test_size=100", "trainer.epochs=2"])


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_each_format_computes_what_the_keras_model_computed(cnn_run, tmp_path, name, capsys):
    for module in FORMATS[name].needs["tensorflow"]:
        pytest.importorskip(module)
    assert main([str(cnn_run), "--format", name, "--out", str(tmp_path / name)]) == 0
    facts = yaml.safe_load((tmp_path / name / "export.yaml").read_text())
    reported = pd.read_csv(cnn_run / "metrics.csv").iloc[0]
    assert facts["format"] == name and facts["test_samples"] == 100 and facts["bytes"] > 10_000
    assert facts["max_abs_difference"] < 1e-4 and facts["top1_agreement"] == 1.0
    # the accuracy re-scored from the exported outputs is the one the run reported
    assert facts["test_accuracy"] == pytest.approx(reported["test_accuracy"]) == facts["keras_test_accuracy"]
    assert facts["images_per_second"] > 0 and facts["command"].startswith("python -m kexp.export")
    assert "kexp: parity: max_abs_difference" in capsys.readouterr().out
    # the batch axis is dynamic: 1 and 7 images through the exported file
    import keras

    model = keras.models.load_model(cnn_run / "model.keras")
    predict = runtime(FORMATS[name], tmp_path / name / FORMATS[name].file)
    x = np.random.default_rng(0).random((7, 28, 28, 1)).astype("float32")
    for batch in (x[:1], x):
        assert np.allclose(predict(batch), model.predict(batch, verbose=0), atol=1e-4)


def test_litert_int8_is_smaller_and_still_agrees(cnn_run, tmp_path):
    pytest.importorskip("ai_edge_litert")
    assert main([str(cnn_run), "--format", "litert", "--out", str(tmp_path / "f32")]) == 0
    assert main([str(cnn_run), "--format", "litert", "--quantize", "int8", "--out", str(tmp_path / "i8")]) == 0
    f32, i8 = (yaml.safe_load((tmp_path / d / "export.yaml").read_text()) for d in ("f32", "i8"))
    assert i8["quantize"] == "int8" and i8["bytes"] < 0.5 * f32["bytes"]
    assert 0 < i8["max_abs_difference"] < 0.1 and i8["top1_agreement"] >= 0.95


def test_a_streamed_image_folder_run_exports_and_rescored(saved_image_run, tmp_path):
    pytest.importorskip("onnxruntime")
    run_dir, _ = saved_image_run
    assert main([str(run_dir), "--format", "onnx", "--out", str(tmp_path / "o")]) == 0
    facts = yaml.safe_load((tmp_path / "o" / "export.yaml").read_text())
    assert facts["top1_agreement"] == 1.0
    assert facts["test_accuracy"] == pytest.approx(pd.read_csv(run_dir / "metrics.csv")["test_accuracy"].iloc[0])


def test_a_mixed_precision_run_exports_a_float32_copy_where_the_runtime_has_no_16_bit_kernels(tmp_path, capsys):
    """ONNX Runtime, LiteRT and OpenVINO failed to load a mixed_bfloat16 model's graph (a bfloat16
    convolution; trainer.precision=auto picks it on CPUs that compute in bfloat16)."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tf2onnx")
    import keras

    try:
        run_dir = finished_run(tmp_path, [*TINY_CNN, "data.train_size=200", "data.test_size=100",
                                          "trainer.epochs=1", "trainer.precision=mixed_bfloat16"])
    finally:
        keras.config.set_dtype_policy("float32")  # (the run set it for this process)
    assert main([str(run_dir), "--format", "onnx", "--out", str(tmp_path / "onnx")]) == 0
    assert "the model computes in bfloat16 (mixed precision)" in capsys.readouterr().out
    facts = yaml.safe_load((tmp_path / "onnx" / "export.yaml").read_text())
    assert facts["computes_in"] == "float32" and facts["trained_computing_in"] == "bfloat16"
    # the same weights, without the rounding to bfloat16: close, not equal, and the same classes
    assert 0 < facts["max_abs_difference"] < 0.05 and facts["top1_agreement"] >= 0.95
    assert facts["keras_test_accuracy"] == pytest.approx(pd.read_csv(run_dir / "metrics.csv")["test_accuracy"].iloc[0])


def test_what_cannot_be_exported_is_one_line(cnn_run, tmp_path, capsys):
    assert main([str(cnn_run), "--format", "tflite", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip() == (
        "kexp: config error: --format tflite — unknown; available: saved_model, onnx, litert, openvino "
        "(TensorFlow Lite is LiteRT now: --format litert)")
    assert main([str(cnn_run), "--format", "pdf", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip().endswith("available: saved_model, onnx, litert, openvino")
    assert main([str(cnn_run), "--format", "onnx", "--quantize", "int4", "--out", str(tmp_path / "x")]) == 2
    assert "--quantize int4 — must be int8" in capsys.readouterr().err
    # (--batch-size 0 was a traceback; trainer.batch_size=… was not read: the parity check batched by 64)
    for argv, line in ((["--batch-size", "0"], "--batch-size=0 — must be at least 1"),
                       (["--batch-size", "16", "trainer.batch_size=8"],
                        "--batch-size 16 and trainer.batch_size=8 — give one of them")):
        assert main([str(cnn_run), "--format", "onnx", *argv, "--out", str(tmp_path / "x")]) == 2
        assert capsys.readouterr().err.strip() == f"kexp: config error: {line}"
    assert not (tmp_path / "x").exists()
    with pytest.raises(ConfigError, match=r"--format litert — Keras exports it from the tensorflow backend; this "
                                          r"run's model was loaded on jax \(set KERAS_BACKEND=tensorflow\)"):
        FORMATS["litert"].check("jax", None)
    with pytest.raises(ConfigError, match=r"--format x — needs no_such_runtime, not installed: pip install "
                                          r"'kexp\[export\]'"):
        ExportFormat("x", "x", "x.bin", {"tensorflow": ("no_such_runtime",)}).check("tensorflow", None)


def test_a_bad_format_is_refused_before_tensorflow_loads(cnn_run):
    code = ("import sys\nfrom kexp.export.cli import main\n"
            f"rc = main([{str(cnn_run)!r}, '--format', 'pdf'])\nprint('tensorflow' in sys.modules, rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False 2", done.stderr
