"""``trainer.precision``: the Keras dtype policy a run trains in, ``auto`` resolved where the backend starts.

``auto`` picks ``mixed_bfloat16`` only where it was measured to pay and float32
everywhere else (``benchmarks/precision.py``, docs/performance.md "Mixed precision
that pays"): TensorFlow on a CPU that computes in bfloat16 (AVX-512 BF16 or AMX,
through oneDNN) trained the slides' ``cnn`` 1.56× and ``resnet20`` 1.30× as fast, and
the ``mlp`` at 0.99×; on JAX's CPU bfloat16 ran 0.61–1.20×; on a CPU without those
instructions bfloat16 is converted, not computed; on the one GPU measured (an H200)
the small nets were launch-bound and ran 0.88–1.05×, and larger nets are not measured
yet. The variables and the output layer stay float32 under a mixed policy.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

#: ``trainer.precision`` that lets kexp choose.
AUTO = "auto"
#: CPU flags (``/proc/cpuinfo``) of instructions that compute in bfloat16.
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")
#: Said when a run asks for float16 where there is no GPU (measured: docs/performance.md).
FLOAT16_ON_CPU = (
    "trainer.precision=mixed_float16 on a CPU: float16 is emulated there, so an epoch takes several times as long "
    "as in float32 (the default cnn on the digits: 6.3 s vs 2.1 s on 2 Xeon cores; 30x has been seen); mixed "
    "precision pays on a GPU — use trainer.precision=float32 here"
)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The flags of the first CPU in ``cpuinfo`` (Linux); empty where it cannot be read."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def dtype_policy(setting: str, backend: str, device: str, flags: set[str] | None = None) -> tuple[str, str]:
    """The dtype policy for ``trainer.precision`` = ``setting``, and why (``"as set"`` unless ``auto``).

    ``device``: the kind the backend trains on (``cpu``, ``gpu``, ``tpu``:
    :func:`kexp.backends.start.device_kind`); ``flags``: the CPU's (:func:`cpu_flags` when None).
    """
    if setting != AUTO:
        return str(setting), "as set"
    if device != "cpu":
        return "float32", (
            "auto: on a GPU/TPU the nets measured (cnn, resnet20 on an H200) were launch-bound and ran "
            "0.88–1.05× as fast in bfloat16; larger nets are not measured yet"
        )
    if backend != "tensorflow":
        return "float32", f"auto: bfloat16 ran 0.61–1.20× as fast on {backend}'s CPU (mlp, cnn, resnet20)"
    bfloat16 = sorted(set(BFLOAT16_FLAGS) & (cpu_flags() if flags is None else flags))
    if not bfloat16:
        return "float32", "auto: this CPU has no bfloat16 instructions (avx512_bf16, amx_bf16)"
    return "mixed_bfloat16", (
        f"auto: TensorFlow on a CPU with {', '.join(bfloat16)}: cnn 1.56×, resnet20 1.30×, mlp 0.99× "
        "float32's speed measured"
    )


def check_float16(policy: str, device: str) -> None:
    """Warn (:data:`FLOAT16_ON_CPU`) when ``mixed_float16`` runs on another device than a GPU."""
    if policy == "mixed_float16" and device != "gpu":
        log.warning(FLOAT16_ON_CPU)
