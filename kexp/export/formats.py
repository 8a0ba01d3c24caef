"""A finished run's model taken out: Keras's own export, then a parity check by the format's runtime.

``python -m kexp.export`` (:mod:`kexp.export.cli`) exports with
``model.export(format=…)`` (a dynamic batch axis: every format here keeps the
batch dimension open) and then runs the exported file with the runtime that
will serve it — TensorFlow for a SavedModel, onnxruntime, LiteRT, OpenVINO —
on the run's test split beside the Keras model: the largest absolute
difference of the outputs, how often the top-1 class agrees, the test accuracy
re-scored from the exported outputs, and images/second of each.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kexp.config.errors import ConfigError
from kexp.runs.layout import LITERT_FILE, ONNX_FILE


@dataclass(frozen=True)
class ExportFormat:
    """One format: Keras's name for it, the file it makes, the modules each backend needs to make and run it."""

    name: str
    keras_format: str
    file: str
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # backend → importable modules
    extra: str = "export"
    #: whether its runtimes run a 16-bit graph (ONNX Runtime, LiteRT and OpenVINO failed to load a
    #: mixed_bfloat16 model's: no bfloat16 convolution, a Flex op, an unevaluable Convert)
    runs_16_bit: bool = False

    def check(self, backend: str, quantize: str | None) -> None:
        """One line when this backend or this machine cannot make and run the format."""
        if backend not in self.needs:
            able = " or ".join(sorted(self.needs))
            raise ConfigError(
                f"--format {self.name} — Keras exports it from the {able} backend; this run's model was "
                f"loaded on {backend} (set KERAS_BACKEND={sorted(self.needs)[0]})"
            )
        missing = [m for m in self.needs[backend] if importlib.util.find_spec(m) is None]
        if missing:
            raise ConfigError(
                f"--format {self.name} — needs {', '.join(missing)}, not installed: pip install 'kexp[{self.extra}]'"
            )
        if quantize not in (None, "int8"):
            raise ConfigError(f"--quantize {quantize} — must be int8")


#: The formats, by the name ``--format`` takes.
FORMATS: dict[str, ExportFormat] = {
    "saved_model": ExportFormat(
        "saved_model",
        "tf_saved_model",
        "saved_model",
        {"tensorflow": ("tensorflow",), "jax": ("tensorflow",)},
        runs_16_bit=True,
    ),
    "onnx": ExportFormat(
        "onnx", "onnx", ONNX_FILE, {"tensorflow": ("tf2onnx", "onnxruntime"), "jax": ("jax2onnx", "onnxruntime")}
    ),
    "litert": ExportFormat("litert", "litert", LITERT_FILE, {"tensorflow": ("ai_edge_litert",)}),
    "openvino": ExportFormat("openvino", "openvino", "model.xml", {"tensorflow": ("openvino",), "jax": ("openvino",)}),
}


#: TensorFlow Lite's names, which a user may still type for LiteRT.
OLD_NAMES = ("tflite", "tf_lite", "tensorflow_lite")


def export_format(name: str, backend: str, quantize: str | None) -> ExportFormat:
    """The format named ``name``, checked for ``backend`` and this machine's packages."""
    if name not in FORMATS:
        renamed = " (TensorFlow Lite is LiteRT now: --format litert)" if name in OLD_NAMES else ""
        raise ConfigError(f"--format {name} — unknown; available: {', '.join(FORMATS)}{renamed}")
    chosen = FORMATS[name]
    chosen.check(backend, quantize)
    return chosen


def export_model(model, chosen: ExportFormat, out: Path, quantize: str | None) -> Path:
    """Export ``model`` into ``out`` as ``chosen``; the exported file (or SavedModel directory).

    ``quantize=int8``: LiteRT's dynamic-range int8 weights (its converter's
    default optimisation); for the other formats Keras's ``model.quantize("int8")``
    first.
    """
    import keras

    path = out / chosen.file
    options: dict = {}
    if quantize == "int8":
        if chosen.name == "litert":
            from kexp.backends.tensorflow import litert_int8_options

            options = litert_int8_options()
        else:
            try:
                model.quantize("int8")
            except (NotImplementedError, ValueError, TypeError) as err:
                raise ConfigError(f"--quantize int8 — Keras cannot quantize this model: {err}") from err
    try:
        model.export(str(path), format=chosen.keras_format, verbose=False, **options)
    except (ImportError, NotImplementedError, ValueError, TypeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(
            f"--format {chosen.name} — Keras {keras.__version__} could not export this model: {first}"
        ) from err
    return path


def computes_in(model) -> str:
    """The dtype ``model``'s layers compute in: float32, or the 16-bit one of a mixed policy."""

    def layers(owner) -> list:
        return [inner for layer in getattr(owner, "layers", []) for inner in (layer, *layers(layer))]

    lower = {str(layer.compute_dtype) for layer in layers(model) if layer.compute_dtype != "float32"}
    return "float32" if not lower else lower.pop() if len(lower) == 1 else "mixed"


def float32_copy(model):
    """``model`` built again with every layer in float32, holding the same weights.

    Under a mixed policy the variables are float32 already and only the computation is in
    16 bits: the copy computes what the model computes, without the rounding to 16 bits.
    """
    import keras

    def in_float32(node):
        if isinstance(node, dict):
            if node.get("class_name") == "DTypePolicy" and str(node.get("config", {}).get("name", "")).startswith(
                "mixed"
            ):
                return {**node, "config": {**node["config"], "name": "float32"}}
            return {key: in_float32(value) for key, value in node.items()}
        return [in_float32(item) for item in node] if isinstance(node, list) else node

    copy = keras.saving.deserialize_keras_object(in_float32(keras.saving.serialize_keras_object(model)))
    copy.set_weights(model.get_weights())
    return copy


def runtime(chosen: ExportFormat, path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """A function from a batch of inputs to the exported model's outputs, run by the format's own runtime."""
    if chosen.name == "saved_model":
        from kexp.backends.tensorflow import saved_model_predictor

        return saved_model_predictor(path)
    if chosen.name == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})[0]
    if chosen.name == "litert":
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(path))
        source, target = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

        def run_litert(x: np.ndarray) -> np.ndarray:
            interpreter.resize_tensor_input(source, x.shape)  # the batch axis is dynamic
            interpreter.allocate_tensors()
            interpreter.set_tensor(source, x)
            interpreter.invoke()
            return interpreter.get_tensor(target).copy()

        return run_litert
    import openvino

    # f32: OpenVINO would otherwise run in bf16 on CPUs that have it, and parity would measure that
    compiled = openvino.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return lambda x: np.asarray(compiled(x)[0])


def parity(model, predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray, batch_size: int) -> dict:
    """The exported model against the Keras one on ``x`` (labels ``y``), batch by batch."""
    batches = [x[i : i + batch_size] for i in range(0, len(x), batch_size)]
    predict(batches[0])  # warm-ups: the first call of each builds or traces
    model.predict(batches[0], batch_size=batch_size, verbose=0)
    started = time.perf_counter()
    exported = np.concatenate([np.asarray(predict(b), dtype="float32").reshape(len(b), -1) for b in batches])
    exported_seconds = time.perf_counter() - started
    started = time.perf_counter()
    keras_out = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype="float32").reshape(len(x), -1)
    keras_seconds = time.perf_counter() - started
    facts: dict[str, object] = {
        "test_samples": len(x),
        "max_abs_difference": float(np.max(np.abs(exported - keras_out))),
        "images_per_second": round(len(x) / exported_seconds, 1),
        "keras_images_per_second": round(len(x) / keras_seconds, 1),
    }
    if keras_out.shape[1] > 1:  # classes: top-1 agreement and accuracy from each
        top_exported, top_keras = exported.argmax(1), keras_out.argmax(1)
        facts["top1_agreement"] = float(np.mean(top_exported == top_keras))
        facts["test_accuracy"] = float(np.mean(top_exported == y.astype("int64")))
        facts["keras_test_accuracy"] = float(np.mean(top_keras == y.astype("int64")))
    return facts
