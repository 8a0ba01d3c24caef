"""``python -m kexp.export RUN_DIR --format onnx|saved_model|litert|openvino [--quantize int8] [key=value ...]``.

Exports a finished run's ``model.keras`` with Keras's own ``model.export``
into a new directory (``RUN_DIR/exports/<format>_<date>_<time>`` unless
``--out`` says where), runs the exported file with its own runtime on the
run's test split (or other data, as ``kexp.evaluate``: ``data.path=…``) beside
the Keras model, and writes ``export.yaml``: the file and its size, the largest
output difference, top-1 agreement, the test accuracy from each, images/second
of each, and the provenance. A format that this backend or these packages
cannot make is one line naming what is needed; errors exit 2 and leave no
directory behind.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import yaml

import kexp.cli  # noqa: F401  (TensorFlow's start-up lines hidden, as for every kexp command)
from kexp.config.errors import KexpError
from kexp.runs.layout import EXPORT_FILE, EXPORTS_DIR


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from kexp.export.formats import FORMATS

    parser = argparse.ArgumentParser(
        prog="python -m kexp.export", description="Export a finished run's model and check that it computes the same."
    )
    parser.add_argument("run_dir", type=Path, help="a run directory with model.keras")
    parser.add_argument("overrides", nargs="*", help="key=value changes of the run's config (e.g. data.path=OTHER)")
    parser.add_argument("--format", required=True, help=f"one of {', '.join(FORMATS)}")
    parser.add_argument("--quantize", help="int8: int8 weights (LiteRT's converter; Keras's quantize otherwise)")
    parser.add_argument("--out", type=Path, help="output directory (default RUN_DIR/exports/<format>_<time>)")
    parser.add_argument(
        "--batch-size", type=int, help="batch of the parity check (default: the run's trainer.batch_size)"
    )
    return parser.parse_intermixed_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The command line: one line on stderr and exit 2 for a user error."""
    args = parse_args(argv)
    try:
        out, facts = export_run(args.run_dir, args.overrides, args.format, args.quantize, args.out, args.batch_size)
    except KexpError as err:
        print(err.one_line(), file=sys.stderr)
        return 2
    print(f"kexp: exported to {out / str(facts['file'])} ({int(facts['bytes']):,} bytes)")
    shown = ("max_abs_difference", "top1_agreement", "test_accuracy", "keras_test_accuracy")
    print("kexp: parity: " + ", ".join(f"{k} {facts[k]:.6g}" for k in shown if k in facts))
    print(f"kexp: {facts['images_per_second']} images/s exported vs {facts['keras_images_per_second']} with Keras")
    return 0


def export_run(
    run_dir: Path, overrides: list[str], format_name: str, quantize, out: Path | None, batch_size: int | None = None
):
    """Export and check as the module docstring says; ``(directory written, export.yaml's facts)``."""
    from kexp.backends import configured_backend
    from kexp.data.pipeline import decode_all
    from kexp.evaluate.cli import check_batch_size, load_scoring
    from kexp.export.formats import computes_in, export_format, export_model, float32_copy, parity, runtime
    from kexp.runs.atomic import write_text
    from kexp.runs.provenance import now, provenance
    from kexp.runs.saved import new_directory, timestamp

    run_dir = Path(run_dir)
    chosen = export_format(format_name, configured_backend(), quantize)  # before the slow imports
    check_batch_size(batch_size, overrides)
    cfg, data, model, backend = load_scoring(run_dir, overrides)
    batch_size = batch_size or int(cfg.trainer.batch_size)
    import keras

    suffix = f"{chosen.name}-int8" if quantize else chosen.name
    out = new_directory(Path(out) if out else run_dir / EXPORTS_DIR / f"{suffix}_{timestamp()}")
    try:
        x = data.test.x if not data.test.streamed else decode_all(data.test)
        model(x[:1].astype("float32"))  # (ONNX: Keras exports only a model that has been called)
        computes = computes_in(model)
        exported = model
        if computes != "float32" and not chosen.runs_16_bit:
            print(
                f"kexp: the model computes in {computes} (mixed precision); its weights are float32 and "
                f"{chosen.name}'s runtime runs it in float32: exporting a float32 copy"
            )
            exported = float32_copy(model)
            exported(x[:1].astype("float32"))
        path = export_model(exported, chosen, out, quantize)
        facts: dict[str, object] = {
            "format": chosen.name,
            "file": path.name,
            "bytes": sum(f.stat().st_size for f in path.parent.rglob("*") if f.is_file()),
            "quantize": quantize,
            "computes_in": computes if exported is model else "float32",
            "trained_computing_in": computes,
            "keras": keras.__version__,
            **parity(model, runtime(chosen, path), x.astype("float32"), data.y_test, batch_size),
        }
        facts.update(provenance(cfg.seed, backend, module="kexp.export"))
        facts.update({"finished": now(), "run_dir": str(run_dir.resolve()), "overrides": list(overrides)})
        write_text(out / EXPORT_FILE, yaml.safe_dump(facts, sort_keys=False, allow_unicode=True))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return out, facts
