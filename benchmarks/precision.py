"""Issue 34 item 5: when does mixed precision pay? kexp's own fit at ``trainer.precision=float32``
against ``mixed_bfloat16`` (and ``mixed_float16`` with ``--float16``), model by model.

    python benchmarks/precision.py [--models mlp cnn resnet20] [--images 2560] [--batch-size 128]
    KERAS_BACKEND=jax python benchmarks/precision.py

Each model is trained through ``kexp.training.trainer.fit`` (``benchmarks/throughput.py``'s
``time_kexp``: build, compile, fit with kexp's callbacks and a 256-image validation pass) for
``--epochs`` epochs; the epochs after the first (compiling excluded) are timed, the precisions
alternate ``--repeats`` times on fresh models, and the medians are printed in images per wall
and per CPU second, with the ratio to float32 and the model's multiply-accumulates per sample
(``macs`` in metrics.csv), the quantity a rule for ``auto`` would be stated in. Data:
``../shared/data/mnist.npz`` for 28x28 models when present, else synthetic (throughput.py's
``load_arrays``). Whether bfloat16 can pay on a CPU depends on its instructions (AVX512_BF16,
AMX): the script prints the CPU's flags that matter.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import REPO, compose, load_arrays, time_kexp


def cpu_flags() -> str:
    """The CPU's bfloat16/float16-relevant flags (from /proc/cpuinfo; empty where there is none)."""
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return "unknown"
    wanted = ("avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile", "f16c")
    return " ".join(flag for flag in wanted if f" {flag}" in flags + " ") or "none of avx512_bf16/amx"


def macs_per_sample(cfg, input_shape) -> int:
    """Multiply-accumulates of one sample's forward pass (kexp's count)."""
    from kexp.models import build_model
    from kexp.reporting.macs import total_macs

    return total_macs(build_model(cfg.model, input_shape, 10, cfg.regularization))


def main() -> None:
    """Alternate the precisions per model and print the steady rates and their ratio to float32."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["mlp", "cnn", "resnet20"])
    parser.add_argument("--images", type=int, default=128 * 20, help="training images per epoch")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per fit (the first compiles, untimed)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--float16", action="store_true", help="also mixed_float16")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    import keras

    precisions = ["float32", "mixed_bfloat16", *(["mixed_float16"] if args.float16 else [])]
    print(f"backend {keras.backend.backend()}, CPU flags: {cpu_flags()}, batch {args.batch_size}, "
          f"{args.images} images an epoch, {args.epochs} epochs a fit (the first untimed)")
    steady = args.images * (args.epochs - 1)
    for model in args.models:
        cfgs = {p: compose([f"model={model}", f"trainer.precision={p}", f"trainer.batch_size={args.batch_size}",
                            f"trainer.epochs={args.epochs}", "trainer.verbose=0"]) for p in precisions}
        x, y, source = load_arrays(model, args.images)
        warm = slice(0, args.batch_size * 4 + 256)
        for cfg in cfgs.values():
            time_kexp(cfg, x[warm], y[warm])
        times: dict[str, list[tuple[float, float]]] = {p: [] for p in precisions}
        for _ in range(args.repeats):
            for precision, cfg in cfgs.items():
                times[precision].append(time_kexp(cfg, x, y)[1])
        rates = {p: (statistics.median(steady / t[0] for t in ts), statistics.median(steady / t[1] for t in ts))
                 for p, ts in times.items()}
        base = rates["float32"]
        print(f"{model} ({source}, {macs_per_sample(cfgs['float32'], x.shape[1:]):,} MACs a sample):")
        for precision, (wall, cpu) in rates.items():
            print(f"  {precision:15s} {wall:9.1f} img/s wall {cpu:9.1f} img/CPU s   "
                  f"ratio to float32: wall {wall / base[0]:.3f}x, CPU {cpu / base[1]:.3f}x", flush=True)


if __name__ == "__main__":
    main()
