"""``trainer.precision=auto`` (kexp/backends/precision.py): mixed_bfloat16 only where it was measured
to pay — TensorFlow on a CPU with bfloat16 instructions — recorded and applied as chosen."""

import logging

import keras
import yaml

from kexp.backends.precision import cpu_flags, dtype_policy
from kexp.runs.saved import load_model
from tests.conftest import run_in_process

BF16_CPU = {"fpu", "avx2", "avx512f", "avx512_bf16"}
AVX2_CPU = {"fpu", "avx2", "fma"}


def test_auto_is_bfloat16_only_for_tensorflow_on_a_cpu_that_computes_in_it():
    assert dtype_policy("auto", "tensorflow", "cpu", BF16_CPU)[0] == "mixed_bfloat16"
    assert dtype_policy("auto", "tensorflow", "cpu", {"amx_bf16", "amx_tile"})[0] == "mixed_bfloat16"
    # converted, not computed, without the instructions; slower on JAX's CPU; not measured to pay on a GPU
    assert dtype_policy("auto", "tensorflow", "cpu", AVX2_CPU)[0] == "float32"
    assert dtype_policy("auto", "jax", "cpu", BF16_CPU)[0] == "float32"
    assert dtype_policy("auto", "tensorflow", "gpu", BF16_CPU)[0] == "float32"
    assert dtype_policy("auto", "jax", "tpu", BF16_CPU)[0] == "float32"
    # a policy that is set is kept, whatever the machine
    assert dtype_policy("mixed_bfloat16", "jax", "gpu", AVX2_CPU) == ("mixed_bfloat16", "as set")
    assert dtype_policy("float32", "tensorflow", "cpu", BF16_CPU) == ("float32", "as set")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    assert cpu_flags(cpuinfo) == {"fpu", "avx512f", "avx512_bf16"}
    assert cpu_flags(tmp_path / "missing") == set()


def test_a_run_at_auto_trains_records_and_saves_the_policy_it_chose(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="kexp"):
        metrics = run_in_process(["model=mlp", "model.hidden_units=[16]", "data.train_size=200", "data.test_size=50",
                                  "trainer.epochs=1", "trainer.precision=auto"], tmp_path / "run")
    chosen = "mixed_bfloat16" if {"avx512_bf16", "amx_bf16"} & cpu_flags() else "float32"
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("trainer.precision: ")]
    assert len(said) == 1 and said[0].startswith(f"trainer.precision: {chosen} (auto: "), said
    assert yaml.safe_load((tmp_path / "run" / "run.yaml").read_text())["precision"] == chosen
    assert metrics["status"] == "ok" and 0 <= metrics["test_accuracy"] <= 1
    saved = load_model(tmp_path / "run")
    hidden = [layer for layer in saved.layers if isinstance(layer, keras.layers.Dense)]
    assert hidden[0].dtype_policy.name == chosen
    assert hidden[-1].compute_dtype == "float32"  # (the output layer stays float32)
    keras.config.set_dtype_policy("float32")
